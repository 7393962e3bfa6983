# Shared by scripts/gpu-bench.sh and scripts/gpu-conv-sweep.sh (sourced from the repository root): what both
# do to bundle a script for a GPU machine here, and to unpack the carried Node, dawn.node and Vulkan loader there.
# The carried files live in .gpu-bench/ (gpu-bench.sh prepare fills it).
GPU_CARRY=.gpu-bench

# Keeps a generated folder out of git (the worktree's own exclude file): gpu_exclude DIR
gpu_exclude() {
  local ex; ex=$(git rev-parse --git-path info/exclude); mkdir -p "$(dirname "$ex")"
  grep -qx "/$1/" "$ex" 2>/dev/null || echo "/$1/" >> "$ex"
}

# An esbuild bundle for Node with the native and optional packages left out: gpu_bundle ENTRY OUTFILE
gpu_bundle() {
  npx --no-install esbuild "$1" --bundle --platform=node --format=esm --target=node20 \
    --outfile="$2" --external:webgpu --external:sharp --external:onnxruntime-node \
    --external:@tensorflow/tfjs-backend-wasm --external:'*.node' --log-level=warning \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
}

# On the GPU machine: Node at $GPU_CARRY/bin/node, dawn.node in place, a Vulkan loader and glvnd (unpacked from
# the carried .debs where the image lacks them: NVIDIA's Vulkan ICD, libGLX_nvidia.so.0, needs glvnd's dispatch
# libraries, else the loader reports "Found no drivers"), and VK_DRIVER_FILES at the NVIDIA ICD if there is one.
# The caller removes the unpacked binaries on exit (gpu_cleanup), so that .gpu-bench stays small enough to carry.
gpu_unpack() {
  [ -f "$GPU_CARRY/node.xz" ] && [ -f "$GPU_CARRY/dawn.node.xz" ] ||
    { echo "gpu: $GPU_CARRY/ is missing: run 'bash scripts/gpu-bench.sh prepare' here and carry it" >&2; exit 2; }
  mkdir -p "$GPU_CARRY/bin"
  [ -x "$GPU_CARRY/bin/node" ] || { xz -dc "$GPU_CARRY/node.xz" > "$GPU_CARRY/bin/node"; chmod +x "$GPU_CARRY/bin/node"; }
  local dawn=$GPU_CARRY/node_modules/webgpu/dist/linux-x64/dawn.node
  [ -f "$dawn" ] || xz -dc "$GPU_CARRY/dawn.node.xz" > "$dawn"
  if ! ldconfig -p | grep -q 'libvulkan\.so\.1' || ! ldconfig -p | grep -q 'libGLdispatch\.so\.0'; then
    echo "gpu: no Vulkan loader or glvnd here; unpacking the carried ones"
    for f in "$GPU_CARRY"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
}

gpu_cleanup() {
  rm -rf "$GPU_CARRY/bin" "$GPU_CARRY/node_modules/webgpu/dist/linux-x64/dawn.node" "$@"
}

# "# GPU: name, driver[, memory]" where nvidia-smi exists: gpu_name_line QUERY
gpu_name_line() {
  if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu="$1" --format=csv,noheader | sed 's/^/# GPU: /'; fi
}
