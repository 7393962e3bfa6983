// Messages between the training page (page.ts, which only draws) and its Web Worker (worker.ts, which trains).
import type { Losses } from '../../core/model.js';
import type { RawImage } from '../../core/data/pixels.js';
import type { EngineOptions } from './engine.js';
import type { SavedRun } from './storage.js';
import type { LossPoint } from '../page/dashboard.js';
import { fractionalEpoch } from '../../core/data/sampling.js';

/** A step's point: x is the fractional epoch, as in `cyclegan train`'s loss log. */
export function curvePoint(s: { epoch: number; epochIter: number; losses: Record<string, number> }, epochSize: number): LossPoint {
  return { x: fractionalEpoch(s.epoch, s.epochIter, epochSize), epoch: s.epoch, iter: s.epochIter, losses: { ...s.losses } };
}

/** Loss-curve points kept: when this many are reached, every other one is dropped and the stride doubles. */
export const MAX_CURVE_POINTS = 2000;

/** The loss curves of a run, bounded: the points of every stride-th image trained. Saved with each checkpoint. */
export interface CurveHistory {
  points: LossPoint[];
  stride: number;
}

export const emptyCurves = (): CurveHistory => ({ points: [], stride: 1 });

/**
 * Adds the point of the step that brought the run to totalIters images (kept when totalIters is a multiple of
 * the stride); the one thinning rule of the worker's saved history and the page's drawn curves, so both keep the
 * same points.
 */
export function addCurvePoint(h: CurveHistory, p: LossPoint, totalIters: number): void {
  if (totalIters % h.stride !== 0) return;
  h.points.push(p);
  if (h.points.length >= MAX_CURVE_POINTS) {
    h.points = h.points.filter((_, i) => i % 2 === 1);
    h.stride *= 2;
  }
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
  | { type: 'start'; options: EngineOptions; A: PickedFile[]; B: PickedFile[]; checkpointSeconds: number }
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
  | { type: 'history'; curves: CurveHistory; options: EngineOptions; totalIters: number }
  | { type: 'samples'; images: Record<string, RawImage> }
  | { type: 'checkpoint'; saved: SavedRun; why: string }
  | { type: 'file'; net: string; bytes: Uint8Array }
  /** replay: where the webgpu replayed forward stands for that generator (replayStatus; tests read it from the page's hook) */
  | { type: 'translated'; image: RawImage; net: string; name: string; replay: Record<string, string> }
  | { type: 'warning'; message: string }
  | { type: 'error'; message: string };

/** A duration for people: seconds, minutes or hours. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'unknown';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
