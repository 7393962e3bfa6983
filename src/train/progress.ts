// Training progress: a one-line bar redrawn in place on a terminal, plain periodic lines otherwise
// (logs, CI, pipes), so both a person watching and a log file get something readable.

export interface ProgressInfo {
  epoch: number;
  lastEpoch: number;
  /** images done in this epoch */
  epochIter: number;
  /** images per epoch */
  epochSize: number;
  /** images done in the whole run (all epochs, including those before a --continue) */
  totalIters: number;
  /** images left until the end of the run */
  itersLeft: number;
  lr: number;
  losses?: Record<string, number>;
}

export interface ProgressSink {
  isTTY: boolean;
  write(s: string): void;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(ss)}` : `${pad(m)}:${pad(ss)}`;
}

export function formatLosses(losses: Record<string, number> | undefined): string {
  if (!losses) return '';
  return Object.entries(losses)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(3) : String(v)}`)
    .join(' ');
}

export class Progress {
  private readonly sink: ProgressSink;
  private readonly printEvery: number;
  private startTime = 0;
  private startIters = 0;
  private lastDraw = 0;
  private lastPrintedIter = -1;
  private drawn = false;
  private readonly now: () => number;

  /** `printEvery`: on a non-terminal, a line every this many images (the official --print-freq). */
  constructor(sink: ProgressSink, printEvery: number, now: () => number = () => performance.now() / 1000) {
    this.sink = sink;
    this.printEvery = Math.max(1, printEvery);
    this.now = now;
  }

  start(totalIters: number): void {
    this.startTime = this.now();
    this.startIters = totalIters;
    this.lastDraw = 0;
  }

  /** Images per second since start (this process only). */
  rate(totalIters: number): number {
    const dt = this.now() - this.startTime;
    return dt > 0 ? (totalIters - this.startIters) / dt : 0;
  }

  line(p: ProgressInfo): string {
    const rate = this.rate(p.totalIters);
    const eta = rate > 0 ? p.itersLeft / rate : NaN;
    return `epoch ${p.epoch}/${p.lastEpoch} iter ${p.epochIter}/${p.epochSize} | ${rate.toFixed(2)} it/s | ETA ${formatDuration(eta)} | lr ${p.lr.toExponential(2)} | ${formatLosses(p.losses)}`;
  }

  update(p: ProgressInfo, batch: number): void {
    if (this.sink.isTTY) {
      const t = this.now();
      if (t - this.lastDraw < 0.2 && p.epochIter < p.epochSize) return; // redraw at most 5×/s
      this.lastDraw = t;
      const width = Math.max(10, Math.min(30, (this.sink.columns ?? 100) - 100));
      const frac = p.epochSize > 0 ? Math.min(1, p.epochIter / p.epochSize) : 0;
      const filled = Math.round(frac * width);
      const bar = '[' + '#'.repeat(filled) + '.'.repeat(width - filled) + ']';
      let text = `${bar} ${this.line(p)}`;
      const cols = this.sink.columns ?? 0;
      if (cols > 10 && text.length > cols - 1) text = text.slice(0, cols - 1);
      this.sink.write(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else {
      // Official print_freq semantics: a line whenever the image counter crosses a multiple of it; and one
      // after the first step, so a log or pipe shows the speed and ETA early.
      const crossed = Math.floor(p.totalIters / this.printEvery) !== Math.floor((p.totalIters - batch) / this.printEvery);
      if ((crossed || this.lastPrintedIter < 0) && p.totalIters !== this.lastPrintedIter) {
        this.lastPrintedIter = p.totalIters;
        this.sink.write(this.line(p) + '\n');
      }
    }
  }

  /** A message on its own line, without breaking the bar. */
  log(msg: string): void {
    if (this.sink.isTTY && this.drawn) {
      this.sink.write(`\r\x1b[2K${msg}\n`);
    } else {
      this.sink.write(msg + '\n');
    }
  }

  end(): void {
    if (this.sink.isTTY && this.drawn) this.sink.write('\n');
    this.drawn = false;
  }
}

export function stdoutSink(): ProgressSink {
  return {
    isTTY: Boolean(process.stdout.isTTY),
    write: (s) => process.stdout.write(s),
    get columns() {
      return process.stdout.columns;
    },
  };
}
