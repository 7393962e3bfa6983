// web/index.html of a training run: the loss curves as a picture, then one row of sample images per
// epoch (newest first; a later display in the same epoch replaces the row, as the official page does).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../core/tf.js';
import { sampleImageFile, type RunPaths, type LossLogEntry } from '../train/run_folder.js';
import { VISUAL_NAMES, visualNames, type VisualName } from '../core/model_names.js';
import { writeFileAtomic, writeJsonAtomic } from '../atomic.js';
import { renderPage, type ReportSection } from './html.js';
import { lossPlotPng } from './loss_plot.js';
import { saveTensorPng } from './images.js';
import { readJsonIfExists } from '../read_file.js';

interface SampleRow {
  epoch: number;
  totalIters: number;
  images: Record<string, string>;
}

/** The part of CycleGANModel the page needs. */
export interface VisualsSource {
  visuals(realA: tf.Tensor4D, realB: tf.Tensor4D): Record<string, tf.Tensor4D>;
}

/** What the page says about the run besides its samples. */
export interface ReportOptions {
  /** official visual_names: idt_A/idt_B only when the identity loss is on (--lambda-identity > 0) */
  identity?: boolean;
  /** --display-freq, to explain a page without samples yet */
  displayFreq?: number;
}

type Status = { epoch: number; lastEpoch?: number; totalIters: number; done?: boolean; stopped?: 'interrupted' | 'budget' };

export class TrainingReport {
  private rows: SampleRow[] = [];
  private readonly visuals: readonly VisualName[];

  constructor(private readonly paths: RunPaths, private readonly name: string, private readonly o: ReportOptions = {}) {
    this.visuals = visualNames(o.identity !== false);
  }

  /** Reads the rows a previous session wrote (for --continue); none when there is no file or it is not JSON. */
  async load(): Promise<void> {
    const rows = await readJsonIfExists(this.paths.samples, 'report rows');
    this.rows = rows === undefined ? [] : rows as SampleRow[];
  }

  /** Saves the current visuals of the first image of the batch and refreshes the page. */
  async addSamples(model: VisualsSource, realA: tf.Tensor4D, realB: tf.Tensor4D, epoch: number, totalIters: number): Promise<void> {
    const vis = model.visuals(realA, realB);
    const images: Record<string, string> = {};
    try {
      for (const name of this.visuals) {
        const t = vis[name];
        if (!t) continue;
        const file = sampleImageFile(epoch, name);
        await saveTensorPng(t, path.join(this.paths.webImages, file));
        images[name] = `images/${file}`;
      }
    } finally {
      tf.dispose(Object.values(vis));
    }
    this.rows = this.rows.filter((r) => r.epoch !== epoch);
    this.rows.push({ epoch, totalIters, images });
    await writeJsonAtomic(this.paths.samples, this.rows);
    await this.writeHtml({ epoch, totalIters });
  }

  /** Redraws the loss picture and the page. */
  async write(log: LossLogEntry[], status: Status): Promise<void> {
    const png = await lossPlotPng(log.map((e) => ({ x: e.x, losses: e.losses })));
    await writeFileAtomic(this.paths.lossPng, png);
    await this.writeHtml(status, log.length > 0);
  }

  private async writeHtml(status: Status, hasPlot?: boolean): Promise<void> {
    const plotExists = hasPlot ?? (await fsp.access(this.paths.lossPng).then(() => true, () => false));
    const sections: ReportSection[] = [...this.rows]
      .sort((a, b) => b.epoch - a.epoch)
      .map((r) => ({
        heading: `epoch ${r.epoch} (${r.totalIters} images trained)`,
        rows: [
          { images: VISUAL_NAMES.slice(0, 4).filter((n) => this.visuals.includes(n) && r.images[n]).map((n) => ({ src: r.images[n], label: n })) },
          { images: VISUAL_NAMES.slice(4).filter((n) => this.visuals.includes(n) && r.images[n]).map((n) => ({ src: r.images[n], label: n })) },
        ],
      }));
    const html = renderPage({
      title: `CycleGAN training: ${this.name}`,
      info: [
        status.done
          ? `Finished: ${status.totalIters} images trained.`
          : status.stopped
            ? `Stopped at epoch ${status.epoch}${status.lastEpoch ? ` of ${status.lastEpoch}` : ''} (${status.stopped === 'budget' ? 'time budget reached' : 'interrupted'}), ` +
              `${status.totalIters} images trained; cyclegan train ... --continue resumes it (${new Date().toISOString()}).`
            : `Epoch ${status.epoch}${status.lastEpoch ? ` of ${status.lastEpoch}` : ''}, ${status.totalIters} images trained (updated ${new Date().toISOString()}).`,
        this.visuals.includes('idt_B')
          ? 'Rows: real_A, fake_B = G_A(real_A), rec_A = G_B(fake_B), idt_B = G_B(real_A); then the B side (real_B, fake_A, rec_B, idt_A = G_A(real_B)).'
          : 'Rows: real_A, fake_B = G_A(real_A), rec_A = G_B(fake_B); then the B side (real_B, fake_A, rec_B).',
        ...(this.rows.length === 0 && this.o.displayFreq
          ? [`No samples yet: a row is added every --display-freq ${this.o.displayFreq} images (${status.totalIters} trained so far); ` +
             `loss curves appear every --print-freq images.`]
          : []),
      ],
      figure: plotExists ? { src: 'loss.png', alt: 'loss curves' } : undefined,
      sections,
      refreshSeconds: status.done || status.stopped ? undefined : 30,
      imageWidth: 192,
    });
    await writeFileAtomic(this.paths.webIndex, html);
  }
}
