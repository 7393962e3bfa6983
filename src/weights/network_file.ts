// One network per .safetensors file: parameters under their official state_dict names in PyTorch layout
// (so the file also loads into the official code), and the architecture in the metadata, so the file
// alone is enough to rebuild and run the network.
// This module reads and writes the files (atomically); the in-memory codec is ./network_codec.ts, re-exported.
import { maxWeightBytes, WEIGHTS_LIMIT_HINT } from '../core/limits.js';
import { writeFileAtomic } from '../atomic.js';
import { readFileBounded } from '../read_file.js';
import type { Network, NetworkSpec } from '../core/networks/index.js';
import { checkModelFile } from '../core/weights/model_check.js';
import { decodeNetwork, encodeStateDict, networkToStateDictAsync } from '../core/weights/network_codec.js';

export * from '../core/weights/network_codec.js';

export async function saveNetwork(net: Network, path: string): Promise<void> {
  await writeFileAtomic(path, encodeStateDict(net, await networkToStateDictAsync(net)));
}

export async function loadNetwork(path: string): Promise<Network> {
  return decodeNetwork(await readModelBytes(path), path);
}

/** A model file's bytes, refused by size before reading (a model is at most a few hundred MB). */
export async function readModelBytes(path: string): Promise<Uint8Array> {
  return readFileBounded(path, { what: 'model file', maxBytes: maxWeightBytes(), limitHint: WEIGHTS_LIMIT_HINT });
}

/** Reads and validates a model file's architecture and tensor shapes without building the network. */
export async function checkModelPath(path: string): Promise<NetworkSpec> {
  return checkModelFile(await readModelBytes(path), path);
}

