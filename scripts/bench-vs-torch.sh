#!/usr/bin/env bash
# Side-by-side timing of this project against the PyTorch reference, in one invocation on one machine.
#   [REPEAT=n] scripts/bench-vs-torch.sh [SIZE NGF NBLOCKS ITERS WARMUP MODE]...
# MODE is 'train' (all three timings) or 'infer' (generator forward only is compared; the reference
# still runs its full probe). Without arguments: the three configurations of BENCHMARKS.md.
# The reference gets as many threads as there are cores (TORCH_THREADS overrides), as we do.
# Needs `npm run build` and the native addon; PyTorch from Debian (python3-torch) at $TORCH_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${TORCH_PYTHON:-/usr/bin/python3}
REF=${TORCH_BENCH:-../shared/reference/torch_cyclegan_bench.py}
BACKEND=${BACKEND:-native}
# Both sides get the same OpenMP spin policy (ours sets this by default; libgomp's own default starves
# thread teams when other processes share the cores, which distorts any side-by-side).
export GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-20000}
[ -f "$REF" ] || { echo "reference script not found: $REF (set TORCH_BENCH)" >&2; exit 2; }
[ -f dist/src/cli/main.js ] || { echo "run npm run build first" >&2; exit 2; }

if [ $# -eq 0 ]; then
  set -- 64 32 6 5 2 train  128 32 6 3 1 train  256 64 9 3 1 infer
fi

echo "# $(date -u +%FT%TZ) $(uname -m) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(getconf _NPROCESSORS_ONLN) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# GOMP_SPINCOUNT=$GOMP_SPINCOUNT OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset} TORCH_THREADS=${TORCH_THREADS:-$(nproc)}"
echo "# node $(node -v), oneDNN $(node -e "console.log(require('./build/Release/cg_native.node').info().onednn)" 2>/dev/null || echo '?'), torch $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo '?')"
echo "| config | ours g_fwd | torch g_fwd | ratio | ours g_fwd_bwd | torch g_fwd_bwd | ratio | ours iter | torch iter | ratio | ours RSS MB | torch RSS MB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
row() {  # ours-json torch-json label mode
  node -e '
    const [o, t, cfg, mode] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), process.argv[3], process.argv[4]];
    const r = (a, b) => (a == null || b == null ? "-" : (a / b).toFixed(2) + "×");
    const inf = mode === "infer";
    console.log(`| ${cfg} | ${o.g_fwd_ms} | ${t.G_fwd_ms} | ${r(o.g_fwd_ms, t.G_fwd_ms)} | ${o.g_fwd_bwd_ms} | ${t.G_fwd_bwd_ms} | ` +
      `${r(o.g_fwd_bwd_ms, t.G_fwd_bwd_ms)} | ${inf ? "-" : o.iter_ms} | ${inf ? "-" : t.cyclegan_iter_ms} | ` +
      `${inf ? "-" : r(o.iter_ms, t.cyclegan_iter_ms)} | ${o.peak_rss_mb} | ${t.peak_rss_mb.toFixed(1)} |`);
  ' "$1" "$2" "$3" "$4"
}

# With REPEAT=n each pair runs n times back to back; a last row takes each side's minimum per column
# (the least disturbed run when other processes share the cores).
REPEAT=${REPEAT:-1}
while [ $# -ge 6 ]; do
  size=$1 ngf=$2 nb=$3 iters=$4 warm=$5 mode=$6
  shift 6
  extra=()
  [ "$mode" = infer ] && extra=(--no-iter)
  all_o="" all_t=""
  for ((rep = 1; rep <= REPEAT; rep++)); do
    ours=$(node dist/src/cli/main.js bench --size "$size" --ngf "$ngf" --n-blocks "$nb" --iters "$iters" --warmup "$warm" \
      --backend "$BACKEND" --json "${extra[@]}" 2>/dev/null | tail -1)
    # ru_maxrss of the finished child is the reference's peak RSS (KiB on Linux).
    torch=$("$PY" -c 'import resource, subprocess, sys, json
r = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True)
d = json.loads(r.stdout.strip().splitlines()[-1]); d["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(d))' "$PY" "$REF" cpu "$size" "$ngf" "$nb" "$iters" "$warm" "${TORCH_THREADS:-$(nproc)}")
    echo "# ours:  $ours" >&2
    echo "# torch: $torch" >&2
    row "$ours" "$torch" "$size/$ngf/$nb $mode (load $(cut -d' ' -f1 /proc/loadavg))" "$mode"
    all_o="$all_o$ours"$'\n' all_t="$all_t$torch"$'\n'
  done
  if [ "$REPEAT" -gt 1 ]; then
    mins=$(node -e '
      const pick = (text) => text.trim().split("\n").map((l) => JSON.parse(l));
      const min = (rows) => Object.fromEntries(Object.keys(rows[0]).map((k) =>
        [k, typeof rows[0][k] === "number" ? Math.min(...rows.map((r) => r[k])) : rows[0][k]]));
      console.log(JSON.stringify(min(pick(process.argv[1]))));
      console.log(JSON.stringify(min(pick(process.argv[2]))));
    ' "$all_o" "$all_t")
    row "$(echo "$mins" | sed -n 1p)" "$(echo "$mins" | sed -n 2p)" "**$size/$ngf/$nb $mode, min of $REPEAT**" "$mode"
  fi
done
