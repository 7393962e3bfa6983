// The loss curves as a picture: an SVG line chart (one panel per direction) rendered to PNG by sharp,
// so the report page needs no script and the picture can be opened on its own.
import sharp from 'sharp';
import { LOSS_COLORS } from '../core/model_names.js';
import { escapeHtml } from './html.js';

export interface LossPoint {
  /** x position: the fractional epoch (fractionalEpoch, src/core/data/sampling.ts) */
  x: number;
  losses: Record<string, number>;
}

const FALLBACK = ['#17becf', '#bcbd22', '#393b79', '#637939'];

function niceTicks(lo: number, hi: number, n: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Averages points into at most `maxPoints` buckets so a long run stays a readable curve. */
export function smooth(points: LossPoint[], maxPoints: number): LossPoint[] {
  if (points.length <= maxPoints) return points;
  const per = points.length / maxPoints;
  const out: LossPoint[] = [];
  for (let b = 0; b < maxPoints; b++) {
    const chunk = points.slice(Math.floor(b * per), Math.floor((b + 1) * per));
    if (chunk.length === 0) continue;
    const losses: Record<string, number> = {};
    for (const k of Object.keys(chunk[0].losses)) {
      const vals = chunk.map((p) => p.losses[k]).filter((v) => Number.isFinite(v));
      losses[k] = vals.length ? vals.reduce((a, v) => a + v, 0) / vals.length : NaN;
    }
    out.push({ x: chunk.reduce((a, p) => a + p.x, 0) / chunk.length, losses });
  }
  return out;
}

function panel(points: LossPoint[], keys: string[], title: string, x0: number, y0: number, w: number, h: number): string {
  const left = 50, right = 110, top = 24, bottom = 34;
  const pw = w - left - right, ph = h - top - bottom;
  const xs = points.map((p) => p.x);
  let xmin = Math.min(...xs), xmax = Math.max(...xs);
  if (!(xmax > xmin)) { xmin -= 0.5; xmax += 0.5; }
  let ymax = 0;
  for (const p of points) for (const k of keys) { const v = p.losses[k]; if (Number.isFinite(v)) ymax = Math.max(ymax, v); }
  if (!(ymax > 0)) ymax = 1;
  const ymin = 0;
  const sx = (x: number) => x0 + left + ((x - xmin) / (xmax - xmin)) * pw;
  const sy = (y: number) => y0 + top + ph - ((Math.min(y, ymax) - ymin) / (ymax - ymin)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + left}" y="${y0 + 16}" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`);
  parts.push(`<rect x="${x0 + left}" y="${y0 + top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(ymin, ymax, 4)) {
    const y = sy(t);
    parts.push(`<line x1="${x0 + left}" x2="${x0 + left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + left - 4}" y="${y + 4}" font-size="10" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(xmin, xmax, 6)) {
    const x = sx(t);
    parts.push(`<text x="${x}" y="${y0 + top + ph + 14}" font-size="10" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<text x="${x0 + left + pw / 2}" y="${y0 + h - 4}" font-size="11" text-anchor="middle">epoch</text>`);
  keys.forEach((k, i) => {
    const color = (LOSS_COLORS as Record<string, string>)[k] ?? FALLBACK[i % FALLBACK.length];
    const pts = points.filter((p) => Number.isFinite(p.losses[k])).map((p) => `${sx(p.x).toFixed(1)},${sy(p.losses[k]).toFixed(1)}`);
    if (pts.length === 1) {
      const [x, y] = pts[0].split(',');
      parts.push(`<circle cx="${x}" cy="${y}" r="2" fill="${color}"/>`);
    } else if (pts.length > 1) {
      parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
    const ly = y0 + top + 12 + i * 16;
    parts.push(`<line x1="${x0 + left + pw + 10}" x2="${x0 + left + pw + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${x0 + left + pw + 34}" y="${ly}" font-size="11">${escapeHtml(k)}</text>`);
  });
  return parts.join('\n');
}

/** The SVG of the loss curves: the A-side losses on top, the B side below. */
export function lossPlotSvg(points: LossPoint[], opts: { width?: number; height?: number } = {}): string {
  const width = opts.width ?? 800;
  const height = opts.height ?? 480;
  const pts = smooth(points, 400);
  const all = new Set<string>();
  for (const p of pts) for (const k of Object.keys(p.losses)) all.add(k);
  const keysA = [...all].filter((k) => k.endsWith('_A'));
  const keysB = [...all].filter((k) => !k.endsWith('_A'));
  const body: string[] = [];
  if (pts.length === 0) {
    body.push(`<text x="${width / 2}" y="${height / 2}" font-size="14" text-anchor="middle">no losses logged yet</text>`);
  } else {
    const hh = height / 2;
    body.push(panel(pts, keysA, 'losses (A side: D_A, G_A, cycle_A, idt_A)', 0, 0, width, hh));
    body.push(panel(pts, keysB, 'losses (B side: D_B, G_B, cycle_B, idt_B)', 0, hh, width, hh));
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="${width}" height="${height}" fill="white"/>
${body.join('\n')}
</svg>`;
}

export async function lossPlotPng(points: LossPoint[], opts: { width?: number; height?: number } = {}): Promise<Buffer> {
  return sharp(Buffer.from(lossPlotSvg(points, opts))).png().toBuffer();
}
