// Export entry points: ONNX file, or a TF.js graph-model folder (model.json + one weights shard).
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { exportOnnx, type OnnxExportOptions } from './onnx.js';
import { exportTfjsGraph, TFJS_WEIGHTS_FILE } from './tfjs_graph.js';
import type { ExportSource } from './source.js';

export { exportOnnx, ONNX_OPSET } from './onnx.js';
export { exportTfjsGraph, TFJS_WEIGHTS_FILE } from './tfjs_graph.js';
export type { ExportSource } from './source.js';

export async function writeOnnx(net: ExportSource, file: string, opts: OnnxExportOptions = {}): Promise<number> {
  const bytes = exportOnnx(net, opts);
  await writeFileAtomic(file, bytes);
  return bytes.length;
}

/** Writes DIR/model.json and DIR/group1-shard1of1.bin; the weights land first so model.json never points at a stale shard. */
export async function writeTfjsGraphModel(net: ExportSource, dir: string, opts: { producerVersion?: string } = {}): Promise<string> {
  const { modelJson, weightData } = exportTfjsGraph(net, opts);
  await writeFileAtomic(path.join(dir, TFJS_WEIGHTS_FILE), weightData);
  const jsonPath = path.join(dir, 'model.json');
  await writeFileAtomic(jsonPath, JSON.stringify(modelJson));
  return jsonPath;
}
