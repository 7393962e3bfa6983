#!/usr/bin/env bash
# The webgpu convolution kernel sweep (scripts/gpu-conv-sweep.mjs) on a GPU machine, next to gpu-bench.sh's
# carried files (Node, dawn.node, the Vulkan loader .debs in .gpu-bench/).
#   bash scripts/gpu-conv-sweep.sh prepare    here, after npm run build: .gpu-sweep/sweep.mjs (esbuild bundle)
#                                             and a copy of this script
#   bash .gpu-sweep/gpu-conv-sweep.sh run     there (carry .gpu-bench and .gpu-sweep); OUT=dir copies the log
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .gpu-sweep ] || mkdir -p .gpu-sweep
case "${1:-}" in
  prepare)
    [ -f dist/src/backends/webgpu/conv_gemm.js ] || { echo "gpu-conv-sweep: run npm run build first" >&2; exit 2; }
    ex=$(git rev-parse --git-path info/exclude); mkdir -p "$(dirname "$ex")"
    grep -qx "/.gpu-sweep/" "$ex" 2>/dev/null || echo "/.gpu-sweep/" >> "$ex"
    npx --no-install esbuild scripts/gpu-conv-sweep.mjs --bundle --platform=node --format=esm --target=node20 \
      --outfile=.gpu-sweep/sweep.mjs --external:webgpu --external:sharp --external:onnxruntime-node \
      --external:@tensorflow/tfjs-backend-wasm --external:'*.node' --log-level=warning \
      --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
    cp scripts/gpu-conv-sweep.sh .gpu-sweep/
    du -sh .gpu-sweep ;;
  run)
    B=.gpu-bench
    [ -f .gpu-sweep/sweep.mjs ] && [ -f $B/node.xz ] || { echo "gpu-conv-sweep: carry .gpu-sweep and .gpu-bench" >&2; exit 2; }
    trap 'rm -rf "$B/bin" "$B/node_modules/webgpu/dist/linux-x64/dawn.node" "$B/sweep.mjs"' EXIT
    mkdir -p $B/bin
    xz -dc $B/node.xz > $B/bin/node && chmod +x $B/bin/node
    xz -dc $B/dawn.node.xz > $B/node_modules/webgpu/dist/linux-x64/dawn.node
    if ! ldconfig -p | grep -q 'libvulkan\.so\.1' || ! ldconfig -p | grep -q 'libGLdispatch\.so\.0'; then
      for f in $B/debs/*.deb; do dpkg -x "$f" /; done; ldconfig
    fi
    icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
    cp .gpu-sweep/sweep.mjs $B/   # so that `webgpu` resolves from $B/node_modules
    log=.gpu-sweep/sweep.log
    { echo "# $(date -u +%FT%TZ) gpu-conv-sweep"; command -v nvidia-smi >/dev/null &&
        nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | sed "s/^/# GPU: /" || true; } | tee $log
    $B/bin/node $B/sweep.mjs 2>&1 | grep -v '^Warning: maxDynamic' | tee -a $log
    if [ -n "${OUT:-}" ]; then cp $log "$OUT/"; fi ;;
  *) echo "usage: bash scripts/gpu-conv-sweep.sh prepare|run" >&2; exit 2 ;;
esac
