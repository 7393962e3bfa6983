// Images for the rest of the project: decoding/encoding (./decode.ts, which re-exports the in-memory pixel
// layouts of ./pixels.ts) plus the NHWC tensor helpers (./image_tensors.ts).
export * from './decode.js';
export * from '../core/data/image_tensors.js';
