// Entry of the self-contained bench bundle that scripts/gpu-bench.sh carries to a GPU machine (no npm
// there): `node bench.mjs SIZE NGF NBLOCKS ITERS WARMUP [BACKEND]` prints runBench's JSON line.
import { runBench } from '../dist/src/bench.js';

const [size, ngf, nBlocks, iters, warmup] = process.argv.slice(2, 7).map(Number);
const backend = process.argv[7] ?? 'webgpu';
const result = await runBench({ size, ngf, nBlocks, iters, warmup, backend, log: (l) => console.error(l) });
console.log(JSON.stringify(result));
