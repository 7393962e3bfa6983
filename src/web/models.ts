// What `cyclegan serve` offers the page to translate with: one generator file (--model), or a run's latest
// generators (--checkpoints-dir/--name), each described by the architecture in its safetensors header.
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { CycleGANError } from '../core/errors.js';
import { specOfMetadata } from '../core/weights/model_check.js';
import { checkModelPath } from '../weights/network_file.js';
import { parseSafetensorsHeader } from '../core/weights/safetensors.js';
import { MAX_SAFETENSORS_HEADER } from '../core/limits.js';
import { readFailureReason } from '../read_file.js';
import { netFile, runPaths, type RunPaths } from '../train/run_folder.js';
import { BASE_OPTIONS, defaultOf } from '../train/options.js';

export interface ModelEntry {
  id: string;
  label: string;
  file: string;
}

/** The models on offer (looked up on each call) and, when serving a run, its folder. */
export interface ModelSource {
  models: () => Promise<ModelEntry[]>;
  run?: RunPaths;
  /** neither --model nor --name: only the training page (/train) is served */
  trainOnly?: boolean;
}

/** Resolves --model or --checkpoints-dir/--name; a bad model file or a missing run folder is a one-line error. */
export async function openModelSource(opts: { modelPath?: string; checkpointsDir?: string; name?: string }): Promise<ModelSource> {
  if (opts.modelPath) {
    if (opts.checkpointsDir || opts.name) throw new CycleGANError('use either --model or --checkpoints-dir/--name, not both');
    const file = path.resolve(opts.modelPath);
    // The whole file is validated (header, architecture bounds, tensor shapes) before the page may fetch it.
    const spec = await checkModelPath(file) as unknown as Record<string, unknown>;
    if (spec.role !== 'generator') throw new CycleGANError(`${opts.modelPath} is a ${String(spec.role)}, not a generator; serve a G_A or G_B file`);
    const entry = { id: 'model', label: path.basename(file), file };
    return { models: async () => [entry] };
  }
  if (opts.name) {
    const run = runPaths(path.resolve(opts.checkpointsDir ?? String(defaultOf(BASE_OPTIONS, 'checkpoints-dir'))), opts.name);
    const st = await fsp.stat(run.root).catch(() => null);
    if (!st?.isDirectory()) throw new CycleGANError(`no run folder ${run.root} (check --checkpoints-dir and --name)`);
    // Generators appear once training saved its first checkpoint, so they are looked up on each request.
    const models = async () => {
      const out: ModelEntry[] = [];
      for (const [id, label] of [['G_A', 'A → B (latest G_A)'], ['G_B', 'B → A (latest G_B)']]) {
        const file = netFile(run.root, 'latest', id as 'G_A' | 'G_B');
        if ((await fsp.stat(file).catch(() => null))?.isFile()) out.push({ id, label, file });
      }
      return out;
    };
    return { models, run };
  }
  return { models: async () => [], trainOnly: true };
}

/** The page's model list: where to fetch each, its size, a version that changes with the file, its architecture. */
export async function modelInfo(source: ModelSource) {
  return Promise.all((await source.models()).map(async (m) => {
    const st = await fsp.stat(m.file);
    const spec = await readModelSpec(m.file);
    return { id: m.id, label: m.label, url: modelUrl(m), bytes: st.size, version: `${st.size}-${st.mtimeMs}`, spec };
  }));
}

export const modelUrl = (m: ModelEntry) => `/models/${m.id}.safetensors`;

/** Reads the architecture from a safetensors header (validated by the one safetensors parser) without reading the weights. */
export async function readModelSpec(file: string): Promise<Record<string, unknown>> {
  let fh;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    throw new CycleGANError(`${file}: cannot read model file: ${readFailureReason(e)}`);
  }
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 8));
    await fh.read(head, 0, head.length, 0);
    // read the length prefix and the header only (a length out of range is reported by the parser)
    const len = head.length === 8 ? Number(head.readBigUInt64LE(0)) : 0;
    const buf = Buffer.alloc(Math.min(size, 8 + Math.min(len, MAX_SAFETENSORS_HEADER)));
    await fh.read(buf, 0, buf.length, 0);
    const { metadata } = parseSafetensorsHeader(buf, file, size);
    return specOfMetadata(metadata, file) as unknown as Record<string, unknown>;
  } finally {
    await fh.close();
  }
}
