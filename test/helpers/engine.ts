// Training images for the in-browser engine, read in Node (shared by the engine and training-page tests).
import * as path from 'node:path';
import { decodeImageU8 } from '../../src/data/image.js';
import { listImageFiles } from '../../src/data/image_files.js';
import type { EngineData } from '../../src/web/train/engine.js';

/** The images of DATAROOT/trainA and trainB, decoded as the Node dataset decodes them, in its order. */
export async function loadFolderData(root: string): Promise<EngineData> {
  const out: EngineData = { A: [], B: [] };
  for (const dom of ['A', 'B'] as const) {
    const { files } = await listImageFiles(path.join(root, `train${dom}`));
    for (const f of files) out[dom].push({ name: path.basename(f), ...(await decodeImageU8(f)) });
  }
  return out;
}

