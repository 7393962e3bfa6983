#!/usr/bin/env bash
# The webgpu convolution kernel sweep (scripts/gpu-conv-sweep.mjs) on a GPU machine, with gpu-bench.sh's
# carried files (Node, dawn.node, the Vulkan loader .debs in .gpu-bench/; shared steps in scripts/gpu-carry.sh).
#   bash scripts/gpu-conv-sweep.sh prepare    here, after npm run build (and gpu-bench.sh prepare):
#                                             .gpu-sweep/sweep.mjs (esbuild bundle)
#   bash scripts/gpu-conv-sweep.sh run        there (carry .gpu-bench and .gpu-sweep); OUT=dir copies the log
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/gpu-carry.sh
case "${1:-}" in
  prepare)
    [ -f dist/src/backends/webgpu/conv_gemm.js ] || { echo "gpu-conv-sweep: run npm run build first" >&2; exit 2; }
    mkdir -p .gpu-sweep
    gpu_exclude .gpu-sweep
    gpu_bundle scripts/gpu-conv-sweep.mjs .gpu-sweep/sweep.mjs
    du -sh .gpu-sweep ;;
  run)
    [ -f .gpu-sweep/sweep.mjs ] || { echo "gpu-conv-sweep: carry .gpu-sweep and .gpu-bench" >&2; exit 2; }
    trap 'gpu_cleanup "$GPU_CARRY/sweep.mjs"' EXIT
    gpu_unpack
    cp .gpu-sweep/sweep.mjs "$GPU_CARRY/"   # so that `webgpu` resolves from .gpu-bench/node_modules
    log=.gpu-sweep/sweep.log
    { echo "# $(date -u +%FT%TZ) gpu-conv-sweep"; gpu_name_line name,driver_version; } | tee $log
    "$GPU_CARRY/bin/node" "$GPU_CARRY/sweep.mjs" 2>&1 | grep -v '^Warning: maxDynamic' | tee -a $log
    if [ -n "${OUT:-}" ]; then cp $log "$OUT/"; fi ;;
  *) echo "usage: bash scripts/gpu-conv-sweep.sh prepare|run" >&2; exit 2 ;;
esac
