// The data layer in one import: decode/encode, preprocessing, the unaligned dataset, built-ins, metrics.
export * from './image.js';
export * from './transforms.js';
export * from './dataset.js';
export * from './metrics.js';
export * from './builtin.js';
