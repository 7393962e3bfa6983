// What the dashboard reads from a run folder while it trains: the loss log (from an offset, tolerating the line
// being appended) and the newest epoch's sample images, named by the run folder's own patterns and ordered as
// the model declares its visuals.
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { LOSS_NAMES, VISUAL_NAMES } from '../core/model_names.js';
import { parseSampleImageFile, readLossLog, type RunPaths } from '../train/run_folder.js';
import type { LossPoint } from './page/dashboard.js';

const SAMPLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}\.(png|jpg|jpeg)$/;

/** Normalizes one loss_log.jsonl record (the workflow's {epoch, epochIter, x, losses} or flat {epoch, iter, D_A…}). */
export function normalizeLossRecord(rec: unknown, index: number): LossPoint | null {
  if (!rec || typeof rec !== 'object') return null;
  const r = rec as Record<string, unknown>;
  const src = (r.losses && typeof r.losses === 'object' ? r.losses : r) as Record<string, unknown>;
  const losses: Record<string, number> = {};
  for (const n of LOSS_NAMES) if (typeof src[n] === 'number') losses[n] = src[n] as number;
  if (Object.keys(losses).length === 0) return null;
  const epoch = typeof r.epoch === 'number' ? r.epoch : 0;
  const iter = typeof r.iter === 'number' ? r.iter : typeof r.epochIter === 'number' ? r.epochIter : index;
  const x = typeof r.x === 'number' ? r.x : epoch > 0 ? epoch : index;
  return { x, epoch, iter, losses };
}

/** The loss log's records from index `from` on, and how many there are (a line being appended right now is skipped). */
export async function lossesSince(run: RunPaths, from: number) {
  const entries: LossPoint[] = [];
  for (const rec of await readLossLog(run)) {
    const r = normalizeLossRecord(rec, entries.length);
    if (r) entries.push(r);
  }
  return { total: entries.length, entries: entries.slice(Math.max(0, from)) };
}

/** The newest epoch's sample images, in the model's visual order, with a version in each URL. */
export async function latestSamples(run: RunPaths): Promise<{ epoch: number | null; images: Array<{ label: string; url: string }> }> {
  const dir = run.webImages;
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const byEpoch = new Map<number, Array<{ label: string; name: string }>>();
  for (const name of names) {
    const m = parseSampleImageFile(name);
    if (!m || !SAMPLE_NAME.test(name)) continue;
    byEpoch.set(m.epoch, [...(byEpoch.get(m.epoch) ?? []), { label: m.visual, name }]);
  }
  if (byEpoch.size === 0) return { epoch: null, images: [] };
  const epoch = Math.max(...byEpoch.keys());
  const order: readonly string[] = VISUAL_NAMES;
  const rank = (l: string) => (order.indexOf(l) + 100) % 100;
  const list = byEpoch.get(epoch)!.sort((a, b) => rank(a.label) - rank(b.label) || a.label.localeCompare(b.label));
  const images = await Promise.all(list.map(async ({ label, name }) => {
    const st = await fsp.stat(path.join(dir, name)).catch(() => null);
    return { label, url: `/samples/${name}?v=${st ? Math.round(st.mtimeMs) : 0}` };
  }));
  return { epoch, images };
}

/**
 * The file behind /samples/NAME, or null: the name must match a strict pattern AND be in the folder's listing,
 * and be a regular file (a symlink placed in the images folder must not lead elsewhere). No URL is ever joined
 * onto a directory unchecked.
 */
export async function sampleFile(run: RunPaths, name: string): Promise<{ file: string; type: string } | null> {
  const dir = run.webImages;
  if (!SAMPLE_NAME.test(name)) return null;
  const listing = await fsp.readdir(dir).catch(() => [] as string[]);
  if (!listing.includes(name)) return null;
  if (!(await fsp.lstat(path.join(dir, name)).catch(() => null))?.isFile()) return null;
  return { file: path.join(dir, name), type: name.endsWith('.png') ? 'image/png' : 'image/jpeg' };
}
