// The network file codec, in memory (no Node: the web page decodes with it): one network per safetensors
// buffer, parameters under their official state_dict names in PyTorch layout (so the file also loads into the
// official code), and the architecture in the metadata, so the bytes alone rebuild and run the network.
// Files on disk: ./network_file.ts.
import { tf } from '../tf.js';
import { CycleGANError } from '../errors.js';
import { Network, tfToTorchLayout, torchToTfLayout, type NetworkSpec } from '../networks/index.js';
import { readSafetensors, writeSafetensors, type RawTensor } from './safetensors.js';
import { checkModelFile, describe, sameShape, SPEC_METADATA_KEY } from './model_check.js';
export { checkModelFile, expectedStateShapes, looksLikeTorchSave, SPEC_METADATA_KEY } from './model_check.js';

export const FORMAT_METADATA_KEY = 'cyclegan.format';
const FORMAT_VERSION = '1';

/** The network's parameters and buffers as a PyTorch-layout state dict. */
export function networkToStateDict(net: Network): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [name, v] of net.params) {
    const t = tfToTorchLayout(v);
    out.set(name, { shape: t.shape.slice(), data: t.dataSync() as Float32Array });
    t.dispose();
  }
  for (const [name, b] of net.buffers) out.set(name, { shape: b.shape.slice(), data: b.dataSync() as Float32Array });
  return out;
}

/** networkToStateDict read asynchronously (the webgpu backend cannot read synchronously in Node). */
export async function networkToStateDictAsync(net: Network): Promise<Map<string, RawTensor>> {
  const out = new Map<string, RawTensor>();
  for (const [name, v] of net.params) {
    const t = tfToTorchLayout(v);
    try {
      out.set(name, { shape: t.shape.slice(), data: Float32Array.from(await t.data() as Float32Array) });
    } finally {
      t.dispose();
    }
  }
  for (const [name, b] of net.buffers) out.set(name, { shape: b.shape.slice(), data: Float32Array.from(await b.data() as Float32Array) });
  return out;
}

export function encodeStateDict(net: Network, sd: Map<string, RawTensor>): Uint8Array {
  return writeSafetensors(sd, { [SPEC_METADATA_KEY]: JSON.stringify(net.spec), [FORMAT_METADATA_KEY]: FORMAT_VERSION });
}

export function encodeNetwork(net: Network): Uint8Array {
  return encodeStateDict(net, networkToStateDict(net));
}

export function decodeNetwork(buf: Uint8Array, source: string): Network {
  const spec = checkModelFile(buf, source);
  const file = readSafetensors(buf, source);
  return networkFromStateDict(spec, file.tensors, undefined, source);
}

/** Buffers that old InstanceNorm layers saved and the official loader drops (patch_instance_norm_state_dict). */
function isStaleInstanceNormKey(net: Network, key: string): boolean {
  return /\.(running_mean|running_var|num_batches_tracked)$/.test(key) && !net.buffers.has(key);
}

/**
 * Builds `spec` and fills it from a PyTorch-layout state dict. A key mismatch is an error naming the
 * first missing or unexpected key and, via `hint`, the flags that decide the architecture.
 */
export function networkFromStateDict(spec: NetworkSpec, stateDict: Map<string, RawTensor>, hint?: string,
                                     source = 'state dict'): Network {
  const flags = hint ?? (spec.role === 'generator' ? '--netG, --ngf, --norm, --input-nc/--output-nc' : '--netD, --ndf, --n-layers-D, --norm');
  const net = new Network(spec, { seed: 0 });
  try {
    const seen = new Set<string>();
    for (const [rawKey, t] of stateDict) {
      const key = rawKey.startsWith('module.') ? rawKey.slice(7) : rawKey;
      if (isStaleInstanceNormKey(net, key)) continue;
      const param = net.params.get(key);
      const buffer = net.buffers.get(key);
      if (!param && !buffer) {
        throw new CycleGANError(`${source}: unexpected key '${rawKey}' for ${describe(spec)}; check ${flags}`);
      }
      seen.add(key);
      const target = (param ?? buffer)!;
      const value = tf.tidy(() => (param ? torchToTfLayout(tf.tensor(t.data, t.shape)) : tf.tensor(t.data, t.shape)));
      if (!sameShape(value.shape, target.shape)) {
        const expected = param ? tfToTorchShape(target.shape) : target.shape;
        value.dispose();
        throw new CycleGANError(`${source}: '${rawKey}' has shape [${t.shape}] but ${describe(spec)} expects [${expected}]; check ${flags}`);
      }
      if (param) {
        param.assign(value);
        value.dispose();
      } else {
        buffer!.dispose();
        net.buffers.set(key, tf.keep(value));
      }
    }
    for (const key of net.params.keys()) {
      if (!seen.has(key)) throw new CycleGANError(`${source}: missing key '${key}' for ${describe(spec)}; check ${flags}`);
    }
    return net;
  } catch (e) {
    net.dispose();
    throw e;
  }
}


function tfToTorchShape(s: readonly number[]): number[] {
  return s.length === 4 ? [s[3], s[2], s[0], s[1]] : s.slice();
}
