// Validation of a model file from its bytes alone, without TF.js or Node (serve uses it before handing a file to
// the page): the safetensors header, the architecture in its metadata, and every tensor's shape against it.
// Reading a file from disk (readModelBytes, checkModelPath) is in network_file.ts.
import { CycleGANError } from '../errors.js';
import { buildLayers, walkLayers } from '../networks/architectures.js';
import { validateSpec, type NetworkSpec } from '../networks/spec.js';
import { parseSafetensorsHeader } from './safetensors.js';

export const SPEC_METADATA_KEY = 'cyclegan.spec';

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The spec fields a mismatch message names. */
export function describe(spec: NetworkSpec): string {
  return spec.role === 'generator'
    ? `netG=${spec.netG} ngf=${spec.ngf} norm=${spec.norm}`
    : `netD=${spec.netD} ndf=${spec.ndf} norm=${spec.norm}`;
}

/** True for the two torch.save formats (a zip archive, or the legacy pickle stream starting 0x80 0x02). */
export function looksLikeTorchSave(buf: Uint8Array): boolean {
  return (buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) || (buf[0] === 0x80 && buf[1] >= 2 && buf[1] <= 5);
}

/** Parameter and buffer shapes (PyTorch layout) that `spec` has, computed from its layers as data. */
export function expectedStateShapes(spec: NetworkSpec): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const l of walkLayers(buildLayers(spec))) {
    if (l.op === 'conv2d' || l.op === 'convTranspose2d') {
      out.set(`${l.key}.weight`, l.op === 'conv2d' ? [l.outC, l.inC, l.k, l.k] : [l.inC, l.outC, l.k, l.k]);
      if (l.bias) out.set(`${l.key}.bias`, [l.outC]);
    } else if (l.op === 'batchNorm') {
      for (const k of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${l.key}.${k}`, [l.channels]);
      out.set(`${l.key}.num_batches_tracked`, []);
    }
  }
  return out;
}

/**
 * The architecture a model file's safetensors metadata declares, checked (JSON, sane bounds): checkModelFile, and
 * serve's model list, which reads only the header.
 */
export function specOfMetadata(metadata: Record<string, string>, source: string): NetworkSpec {
  const specJson = metadata[SPEC_METADATA_KEY];
  if (!specJson) {
    throw new CycleGANError(`${source}: no architecture in its metadata; if it is a PyTorch state dict, convert it with ` +
      `'cyclegan import-torch ${source} --netG NAME --ngf N --out MODEL.safetensors'`);
  }
  let spec: NetworkSpec;
  try {
    spec = JSON.parse(specJson) as NetworkSpec;
  } catch {
    throw new CycleGANError(`${source}: its architecture metadata is not valid JSON`);
  }
  const problem = validateSpec(spec);
  if (problem) throw new CycleGANError(`${source}: bad architecture metadata: ${problem}`);
  return spec;
}

/**
 * Validates a model file from its header alone, before any tensor is decoded or any network built: the
 * safetensors header, the architecture metadata (JSON, sane bounds), and every tensor's name and shape
 * against what that architecture has. translate, test, export, serve, the page and --continue all load
 * through here, so a hostile header is refused the same way everywhere.
 */
export function checkModelFile(buf: Uint8Array, source: string): NetworkSpec {
  if (looksLikeTorchSave(buf)) {
    throw new CycleGANError(`${source} is a PyTorch checkpoint, not a cyclegan model file: convert it once with ` +
      `'cyclegan import-torch ${source} --netG NAME --ngf N --out MODEL.safetensors' (official CycleGAN models: resnet_9blocks, 64)`);
  }
  const { entries, metadata } = parseSafetensorsHeader(buf, source);
  const spec = specOfMetadata(metadata, source);
  const expected = expectedStateShapes(spec);
  const seen = new Set<string>();
  for (const e of entries) {
    const key = e.name.startsWith('module.') ? e.name.slice(7) : e.name;
    const want = expected.get(key);
    if (!want) {
      if (/\.(running_mean|running_var|num_batches_tracked)$/.test(key) && e.count <= 1 << 16) continue; // stale InstanceNorm stats
      throw new CycleGANError(`${source}: unexpected tensor '${e.name}' for ${describe(spec)}; the file is damaged or not a ${spec.role}`);
    }
    if (!sameShape(e.shape, want)) {
      throw new CycleGANError(`${source}: tensor '${e.name}' has shape [${e.shape}] but ${describe(spec)} has [${want}]; the file is damaged`);
    }
    seen.add(key);
  }
  for (const key of expected.keys()) {
    if (!seen.has(key) && !/\.(running_mean|running_var|num_batches_tracked)$/.test(key)) throw new CycleGANError(`${source}: missing tensor '${key}' for ${describe(spec)}; the file is damaged`);
  }
  return spec;
}
