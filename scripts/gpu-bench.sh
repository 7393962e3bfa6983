#!/usr/bin/env bash
# Our webgpu backend against PyTorch + CUDA on one GPU machine, in one invocation, with the ratios.
#
#   bash scripts/gpu-bench.sh prepare     here (needs npm run build): fills .gpu-bench/ with everything the
#                                         GPU machine lacks: a Node binary (xz), an esbuild bundle of the
#                                         bench, dawn.node (from the pinned npm `webgpu`), the Vulkan loader
#                                         .deb, and the PyTorch reference script.
#   bash scripts/gpu-bench.sh run         there (the device tool: carry .gpu-bench): unpacks, makes sure a
#                                         Vulkan loader and the NVIDIA ICD are found, runs both sides per
#                                         configuration and prints a table of ours / torch.
#
# CONFIGS (default "256/64/9 128/64/6"), ITERS (10), WARMUP (3), TORCH_DEVICE (cuda), TORCH_PYTHON (python3
# that imports torch), PROFILE_CONFIG (256/64/9; empty: no per-kernel profile), OUT (where the log is copied, if set),
# VARIANTS (default DEFAULT_VARIANTS below): our settings, the names in VARIANT_TABLE below, each a labelled row per
# configuration against the same torch run. The profile is taken for each variant. A smoke test without a GPU:
#   TORCH_DEVICE=cpu CONFIGS=32/8/6 ITERS=1 WARMUP=1 bash scripts/gpu-bench.sh run     (ours on lavapipe)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/gpu-carry.sh
DIR=$GPU_CARRY

# Our variants: each a name, then the words env(1) runs our side with (options first).
VARIANT_TABLE=(
  # as shipped (the Winograd switch's default and its reason: winogradTile in src/backends/webgpu/conv_gemm.ts)
  default "-u CYCLEGAN_WEBGPU_WINOGRAD"
  # Winograd F(2x2,3x3) for the 3x3 stride-1 convolutions (src/backends/webgpu/winograd.ts)
  winograd "CYCLEGAN_WEBGPU_WINOGRAD=1"
  # Winograd F(4x4,3x3)
  winograd4 "CYCLEGAN_WEBGPU_WINOGRAD=4"
  # g_fwd through Network.apply instead of the replayed forward (src/backends/webgpu/replay.ts)
  noreplay "-u CYCLEGAN_WEBGPU_WINOGRAD CYCLEGAN_WEBGPU_REPLAY=0"
  # the training step run eagerly instead of its replayed phases (src/core/phases.ts, src/backends/webgpu/replay.ts)
  nostepreplay "-u CYCLEGAN_WEBGPU_WINOGRAD CYCLEGAN_WEBGPU_STEP_REPLAY=0"
)
# (nostepreplay: the step's replay is on by default and not yet measured on a GPU; this run measures both)
DEFAULT_VARIANTS="default nostepreplay winograd"

prepare() {
  [ -f dist/src/bench.js ] || { echo "gpu-bench: run npm run build first" >&2; exit 2; }
  rm -rf "$DIR" && mkdir -p "$DIR/node_modules/webgpu/dist/linux-x64" "$DIR/debs"
  gpu_exclude "$DIR"
  echo "gpu-bench: bundling the bench (esbuild)"
  gpu_bundle scripts/gpu-bench-entry.mjs "$DIR/bench.mjs"
  echo "gpu-bench: dawn.node from npm webgpu $(node -p "require('./node_modules/webgpu/package.json').version")"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$DIR/node_modules/webgpu/"
  xz -T0 -4 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$DIR/dawn.node.xz"
  echo "gpu-bench: node $(node -v) binary"
  xz -T0 -4 -c "$(readlink -f "$(command -v node)")" > "$DIR/node.xz"
  # NVIDIA's Vulkan ICD is libGLX_nvidia.so.0, which needs glvnd's dispatch libraries: without them the loader
  # reports "Could not get 'vkCreateInstance' ... Found no drivers" (seen on the H200 image, which has neither).
  echo "gpu-bench: the Vulkan loader and glvnd libraries from Debian"
  (cd "$DIR/debs" && apt-get download libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2 2>&1 |
    grep -v 'unsandboxed' >/dev/null || true)
  ls "$DIR"/debs/libvulkan1_*.deb "$DIR"/debs/libglvnd0_*.deb >/dev/null
  cp "${TORCH_BENCH:-../shared/reference/torch_cyclegan_bench.py}" "$DIR/"
  cp scripts/gpu-features.mjs "$DIR/"
  du -sh "$DIR"
}

run() {
  [ -f "$DIR/bench.mjs" ] || { echo "gpu-bench: $DIR/ is missing: run 'bash scripts/gpu-bench.sh prepare' here and carry it" >&2; exit 2; }
  local node=$DIR/bin/node
  trap gpu_cleanup EXIT
  gpu_unpack
  local py=${TORCH_PYTHON:-}
  if [ -z "$py" ]; then
    for c in python3 /usr/bin/python3; do "$c" -c 'import torch' 2>/dev/null && { py=$c; break; }; done
  fi
  [ -n "$py" ] || { echo "gpu-bench: no python3 with torch" >&2; exit 2; }
  local dev=${TORCH_DEVICE:-cuda} iters=${ITERS:-10} warm=${WARMUP:-3}
  local log=$DIR/gpu-bench.log
  local variants=${VARIANTS:-$DEFAULT_VARIANTS}
  for v in $variants; do variant_env "$v" >/dev/null; done
  {
    echo "# $(date -u +%FT%TZ) $(uname -m), $(nproc) cores; node $("$node" -v); torch $("$py" -c 'import torch; print(torch.__version__)') on $dev"
    gpu_name_line name,driver_version,memory.total
    # the adapter's features, plain and with Dawn's experimental APIs allowed (subgroup matrices: tensor cores?)
    "$node" "$DIR/gpu-features.mjs" 2>&1 | grep -v '^Warning: maxDynamic' | sed 's/^/# /' || echo "# gpu-features failed"
    echo "| config | ours g_fwd | torch g_fwd | ratio | ours g_fwd_bwd | torch g_fwd_bwd | ratio | ours iter | torch iter | ratio | ours peak GPU MB | torch peak GB | ratio |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  } | tee "$log"
  for cfg in ${CONFIGS:-256/64/9 128/64/6}; do
    IFS=/ read -r size ngf nb <<< "$cfg"
    local torch
    torch=$("$py" "$DIR/torch_cyclegan_bench.py" "$dev" "$size" "$ngf" "$nb" "$iters" "$warm" | tail -1)
    echo "# torch: $torch" | tee -a "$log" >&2
    for v in $variants; do
      local ours
      ours=$(env $(variant_env "$v") "$node" "$DIR/bench.mjs" "$size" "$ngf" "$nb" "$iters" "$warm" webgpu \
        2> >(grep -v '^Warning: maxDynamic' >&2) | tail -1)
      echo "# ours ($v): $ours" | tee -a "$log" >&2
      "$node" -e '
        const [o, t, cfg] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), process.argv[3]];
        const r = (a, b) => (a == null || b == null || !b ? "-" : (a / b).toFixed(2) + "×");
        const mem = t.peak_mem_GB == null ? null : t.peak_mem_GB * 1e9 / 2 ** 20;   // both in MiB for the ratio
        console.log(`| ${cfg} (${o.adapter}) | ${o.g_fwd_ms} | ${t.G_fwd_ms} | ${r(o.g_fwd_ms, t.G_fwd_ms)} | ` +
          `${o.g_fwd_bwd_ms} | ${t.G_fwd_bwd_ms} | ${r(o.g_fwd_bwd_ms, t.G_fwd_bwd_ms)} | ${o.iter_ms} | ` +
          `${t.cyclegan_iter_ms} | ${r(o.iter_ms, t.cyclegan_iter_ms)} | ${o.peak_gpu_mb} | ${t.peak_mem_GB ?? "-"} | ${r(o.peak_gpu_mb, mem)} |`);
      ' "$ours" "$torch" "$cfg $v" | tee -a "$log"
    done
  done
  # One more step of the first configuration per variant with a per-kernel GPU breakdown (timestamp queries), after the table
  # so that the ratios are in the log even if profiling fails on that driver.
  local prof=${PROFILE_CONFIG-256/64/9}
  if [ -n "$prof" ]; then
    IFS=/ read -r size ngf nb <<< "$prof"
    for v in $variants; do
      # (a profiled step always runs eagerly, replay or not: nostepreplay's profile would be default's)
      [ "$v" = nostepreplay ] && continue
      echo "# per-kernel profile of one $prof training step (CYCLEGAN_BENCH_PROFILE=1), $v" | tee -a "$log"
      env $(variant_env "$v") CYCLEGAN_BENCH_PROFILE=1 "$node" "$DIR/bench.mjs" "$size" "$ngf" "$nb" 1 1 webgpu 2>&1 |
        grep -v '^Warning: maxDynamic' | tee -a "$log" || echo "# profile failed" | tee -a "$log"
    done
  fi
  if [ -n "${OUT:-}" ]; then cp "$log" "$OUT/"; fi
}

# The environment of one of our variants (VARIANTS) from VARIANT_TABLE, as words for env; an unknown name stops the run.
variant_env() {
  local i names=()
  for ((i = 0; i < ${#VARIANT_TABLE[@]}; i += 2)); do
    if [ "${VARIANT_TABLE[i]}" = "$1" ]; then echo "${VARIANT_TABLE[i + 1]}"; return; fi
    names+=("${VARIANT_TABLE[i]}")
  done
  echo "gpu-bench: unknown variant '$1' in VARIANTS (known: ${names[*]})" >&2
  exit 2
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bash scripts/gpu-bench.sh prepare|run" >&2; exit 2 ;;
esac
