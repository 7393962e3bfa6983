// Messages between the training page (page.ts, which only draws) and its Web Worker (worker.ts, which trains).
import type { Losses } from '../../core/model.js';
import type { RawImage } from '../../core/data/pixels.js';
import type { EngineOptions } from './engine.js';
import type { SavedRun } from './storage.js';

/** One point of the loss curves (x in epochs, as the run dashboard draws them). */
export interface CurvePoint {
  x: number;
  epoch: number;
  iter: number;
  losses: Record<string, number>;
}

export interface PickedFile {
  name: string;
  file: Blob;
}

/** One built-in dataset `cyclegan serve` offers (src/web/datasets_route.ts): file names relative to its trainA / trainB, in the official order. */
export interface ServedDataset {
  name: string;
  description: string;
  /** the transform options that suit its images (its dataset.json's `recommended`) */
  recommended: { preprocess: string; loadSize: number; cropSize: number; noFlip?: boolean };
  files: { A: string[]; B: string[] };
}

/** /datasets/index.json */
export interface DatasetsIndex {
  datasets: ServedDataset[];
  /** what the page tells the user when the list is empty */
  hint: string;
}

export type ToWorker =
  /** storage: ?storage=indexeddb uses IndexedDB even where the Origin Private File System exists */
  | { type: 'init'; backend: string | null; storage: 'opfs' | 'indexeddb' | null }
  | { type: 'start'; options: EngineOptions; A: PickedFile[]; B: PickedFile[]; summary: string; checkpointSeconds: number }
  | { type: 'pause' }
  | { type: 'resume'; checkpointSeconds: number }
  | { type: 'stop' }
  | { type: 'discard' }
  | { type: 'download'; net: 'G_A' | 'G_B' }
  /** the whole run, for `cyclegan browser-run import` */
  | { type: 'download-run' }
  /** continue a run exported by `cyclegan browser-run export`, on the picked images */
  | { type: 'upload'; state: Blob; name: string; A: PickedFile[]; B: PickedFile[]; checkpointSeconds: number }
  | { type: 'translate'; net: 'G_A' | 'G_B'; image: RawImage; name: string };

export type RunState = 'idle' | 'preparing' | 'training' | 'paused' | 'done';

export type FromWorker =
  | { type: 'ready'; backend: string; why: string; saved: SavedRun | null; storage: string | null; store: 'opfs' | 'indexeddb' | null; ourKernels: string[] }
  | { type: 'state'; state: RunState; text: string }
  | { type: 'estimate'; secondsPerImage: number; images: number; text: string }
  | { type: 'step'; totalIters: number; epoch: number; lastEpoch: number; epochIter: number; size: number; lr: number; losses: Losses;
      imagesPerSecond: number; etaSeconds: number }
  | { type: 'history'; points: CurvePoint[]; options: EngineOptions; totalIters: number }
  | { type: 'samples'; images: Record<string, RawImage> }
  | { type: 'checkpoint'; saved: SavedRun; why: string }
  | { type: 'file'; net: string; bytes: Uint8Array }
  | { type: 'translated'; image: RawImage; net: string; name: string }
  | { type: 'warning'; message: string }
  | { type: 'error'; message: string };

/** A duration for people: seconds, minutes or hours. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'unknown';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
