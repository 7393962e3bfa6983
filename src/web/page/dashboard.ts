// Live view of a training run: loss curves from loss_log.jsonl and the newest row of sample images,
// polled from the server every few seconds.

import { LOSS_COLORS, LOSS_NAMES } from '../../core/model_names.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const POLL_MS = 2000;

/**
 * One point of the loss curves, x in fractional epochs: what /api/losses serves from a run's log (src/web/run_data.ts)
 * and the training page draws and saves (src/web/train/protocol.ts).
 */
export interface LossPoint {
  x: number;
  epoch: number;
  iter: number;
  losses: Record<string, number>;
}

interface SamplesReply {
  epoch: number | null;
  images: Array<{ label: string; url: string }>;
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function drawChart(svg: SVGSVGElement, points: LossPoint[]): void {
  const W = 800, H = 320, L = 48, R = 10, T = 10, B = 28;
  svg.replaceChildren();
  if (points.length === 0) {
    const t = el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#888' });
    t.textContent = 'no losses logged yet';
    svg.append(t);
    return;
  }
  const xs = points.map((p) => p.x);
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (x1 === x0) x1 = x0 + 1;
  let yMax = 0;
  for (const p of points) for (const n of LOSS_NAMES) if (Number.isFinite(p.losses[n])) yMax = Math.max(yMax, p.losses[n]);
  if (yMax === 0) yMax = 1;
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => T + (1 - y / yMax) * (H - T - B);
  svg.append(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#999' }));
  svg.append(el('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#999' }));
  for (const f of [0, 0.5, 1]) {
    const t = el('text', { x: L - 4, y: sy(f * yMax) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555' });
    t.textContent = (f * yMax).toPrecision(3);
    svg.append(t);
    const anchor = f === 0 ? 'start' : f === 1 ? 'end' : 'middle';
    const u = el('text', { x: sx(x0 + f * (x1 - x0)), y: H - 8, 'text-anchor': anchor, 'font-size': 11, fill: '#555' });
    u.textContent = `epoch ${(x0 + f * (x1 - x0)).toFixed(2)}`;
    svg.append(u);
  }
  LOSS_NAMES.forEach((name) => {
    const pts = points.filter((p) => Number.isFinite(p.losses[name])).map((p) => `${sx(p.x).toFixed(1)},${sy(p.losses[name]).toFixed(1)}`);
    if (pts.length === 0) return;
    svg.append(el('polyline', { points: pts.join(' '), fill: 'none', stroke: LOSS_COLORS[name], 'stroke-width': 1.5, 'data-series': name }));
  });
}

export function drawLegend(box: HTMLElement, last: LossPoint | undefined): void {
  box.replaceChildren(...LOSS_NAMES.map((name) => {
    const d = document.createElement('div');
    const swatch = document.createElement('span');
    swatch.style.background = LOSS_COLORS[name];
    d.append(swatch, `${name}${last && Number.isFinite(last.losses[name]) ? ` ${last.losses[name].toFixed(3)}` : ''}`);
    return d;
  }));
}

export function startDashboard(name: string, onTick: () => Promise<void>): void {
  const section = document.querySelector('#dashboard') as HTMLElement;
  section.hidden = false;
  (document.querySelector('#run-name') as HTMLElement).textContent = name;
  const svg = document.querySelector('#loss-chart') as SVGSVGElement;
  const legend = document.querySelector('#legend') as HTMLElement;
  const status = document.querySelector('#run-status') as HTMLElement;
  const samples = document.querySelector('#samples') as HTMLElement;
  const points: LossPoint[] = [];
  let samplesKey = '';

  const tick = async () => {
    try {
      const res = await fetch(`/api/losses?from=${points.length}`, { cache: 'no-store' });
      const body = (await res.json()) as { total: number; entries: LossPoint[] };
      if (body.total < points.length) points.length = 0; // the log was truncated (a --continue): start over
      else points.push(...body.entries);
      drawChart(svg, points);
      drawLegend(legend, points[points.length - 1]);
      const last = points[points.length - 1];
      status.textContent = last
        ? `${points.length} log lines; latest: epoch ${last.epoch}, iteration ${last.iter} (updated ${new Date().toLocaleTimeString()})`
        : 'waiting for the first loss_log.jsonl line…';

      const s = (await (await fetch('/api/samples', { cache: 'no-store' })).json()) as SamplesReply;
      const key = s.images.map((i) => i.url).join('|');
      if (key !== samplesKey) {
        samplesKey = key;
        (document.querySelector('#samples-epoch') as HTMLElement).textContent = s.epoch === null ? '(none yet)' : `(epoch ${s.epoch})`;
        samples.replaceChildren(...s.images.map((im) => {
          const f = document.createElement('figure');
          const img = document.createElement('img');
          img.src = im.url;
          img.alt = im.label;
          const cap = document.createElement('figcaption');
          cap.textContent = im.label;
          f.append(img, cap);
          return f;
        }));
      }
      await onTick();
      document.body.dataset.dashboard = String(points.length);
    } catch (e) {
      status.textContent = `cannot reach the server (${(e as Error).message}); retrying`;
    }
    setTimeout(() => void tick(), POLL_MS);
  };
  void tick();
}
