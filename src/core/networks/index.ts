export * from './spec.js';
export { Network, createNetwork, torchToTfLayout, tfToTorchLayout, type ApplyOptions } from './network.js';
export { buildLayers, walkLayers } from './architectures.js';
export { inferenceForward } from './inference.js';
export { INIT_TYPES, type InitOptions, type InitType } from './init.js';
