// The backend names and the CPU fallback chain, declared once. Node-free: the option table (src/train/options.ts),
// which the training page builds its form from, checks --backend and resolves --gpu_ids with them; the Node side
// (src/backends/index.ts) starts them.

/** The CPU backends, fastest first: `auto` falls back along this chain after the GPU, `--gpu_ids -1` uses only it. */
export const NODE_BACKENDS = ['native', 'wasm', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/** What --backend takes. */
export const BACKENDS = ['auto', ...NODE_BACKENDS, 'webgpu'] as const;

/**
 * What --gpu_ids resolves to when --backend is not given (backendFor): `gpu` (ids ≥ 0) = auto, with a note when
 * there is no hardware GPU; `cpu` (-1) = the CPU chain alone. Not --backend values; a run's opt.json may hold them.
 */
export const GPU_IDS_BACKENDS = { gpu: 'gpu', cpu: 'auto-cpu' } as const;
