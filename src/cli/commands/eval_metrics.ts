// `cyclegan eval --metrics fid,kid,psnr,ssim`: the distribution metrics of a run's translations (FID/KID,
// src/metrics/) next to PSNR/SSIM where the dataset has a ground truth. Kept out of eval.ts, which owns the
// test options; eval.ts hands over when --metrics asks for more than psnr,ssim.
import {
  writeJsonAtomic, CycleGANError, type FlagSpec, type ParsedArgs, FID_BATCH_SIZE, FID_WEIGHTS_ENV, FID_WEIGHTS_FILE, KID_DEFAULTS, loadFidInception,
  addMetricsToPage, describeScores, evalResultFile, scoreTranslations, type SideScores, type TranslationSide,
  type Network, directionFolders, evaluate, truthFolder, loadRunNetwork, resultsPaths, testLabelOf, type TestSetup,
} from '../../index.js';
import { progressPrinter } from './datasets.js';

export const METRICS = ['psnr', 'ssim', 'fid', 'kid'] as const;

/** The FID/KID flags `cyclegan fid` and `cyclegan eval --metrics` share; their defaults are the library's. */
export const METRIC_FLAGS: FlagSpec[] = [
  { name: 'inception-weights', type: 'string', help: `fid/kid: local ${FID_WEIGHTS_FILE} (or $${FID_WEIGHTS_ENV}; default: downloaded once into the cache)` },
  { name: 'kid-subsets', type: 'number', default: KID_DEFAULTS.subsets, help: 'kid: number of random subsets' },
  { name: 'kid-subset-size', type: 'number', default: KID_DEFAULTS.subsetSize, help: 'kid: images per subset (capped at the smaller set)' },
];

export const EVAL_METRIC_FLAGS: FlagSpec[] = [
  { name: 'metrics', type: 'string', default: 'psnr,ssim', help: `comma-separated: ${METRICS.join(', ')} (fid/kid: translations vs the real test images of the other domain)` },
  ...METRIC_FLAGS,
  { name: 'fid-batch-size', type: 'number', default: FID_BATCH_SIZE, help: 'fid/kid: images per Inception forward pass' },
];

export interface EvalContext {
  /** the generator of the eval direction */
  net: Network;
  file: string;
  modelFile?: string;
  numTest?: number;
  log: (line: string) => void;
}

export function parseMetrics(text: string): Set<(typeof METRICS)[number]> {
  const out = new Set<(typeof METRICS)[number]>();
  for (const raw of text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (!(METRICS as readonly string[]).includes(raw)) throw new CycleGANError(`--metrics: unknown metric '${raw}' (choose from ${METRICS.join(', ')})`);
    out.add(raw as (typeof METRICS)[number]);
  }
  if (!out.size) throw new CycleGANError(`--metrics is empty (choose from ${METRICS.join(', ')})`);
  return out;
}

/** Runs the requested metrics when they include fid or kid; `handled: false` leaves plain PSNR/SSIM to eval.ts. */
export async function evalMetrics(args: ParsedArgs, setup: TestSetup, ctx: EvalContext): Promise<{ handled: boolean }> {
  const metrics = parseMetrics(String(args.flags['metrics']));
  if (!metrics.has('fid') && !metrics.has('kid')) return { handled: false };
  const t = setup.test;
  const dir = t.direction;
  const result: Record<string, unknown> = { model: ctx.file, direction: dir, metrics: [...metrics] };
  const lines: string[] = [];
  const progress = progressPrinter();
  try {
    if (metrics.has('psnr') || metrics.has('ssim')) {
      const truth = await truthFolder(t.dataroot, dir, t.phase).catch(() => null);
      if (truth) {
        const r = await evaluate(ctx.net, {
          dataroot: t.dataroot, direction: dir, numTest: ctx.numTest, phase: t.phase, preprocess: t.preprocess,
          cropSize: t.cropSize, loadSize: t.loadSize, eval: t.eval,
        });
        Object.assign(result, { n: r.n, psnr: r.psnr, ssim: r.ssim, truth: r.truth });
      } else {
        ctx.log(`note: ${t.dataroot} has no ground truth for ${dir}: PSNR/SSIM skipped`);
      }
    }
    // model terms as test.py: the A side is <phase>A, or <phase>B with --direction BtoA
    const swap = dir === 'BtoA';
    const { A: folderA, B: folderB } = directionFolders(t.dataroot, t.phase, dir);
    const owned: Network[] = [];
    try {
      let sides: TranslationSide[];
      if (ctx.modelFile || setup.model === 'test') {
        // one generator: it maps the eval direction's inputs (label in dataset terms, as below)
        sides = [{ label: swap ? 'fake_A' : 'fake_B', net: ctx.net, inputs: folderA, real: folderB }];
      } else {
        const label = testLabelOf(t);
        const other = (await loadRunNetwork(setup.runDir, label, dir === 'AtoB' ? 'G_B' : 'G_A', dir === 'AtoB' ? setup.specs?.G_B : setup.specs?.G_A)).net;
        owned.push(other);
        const [gA, gB] = dir === 'AtoB' ? [ctx.net, other] : [other, ctx.net];
        // labels in dataset terms: fake_B is scored against <phase>B whatever the direction
        sides = [
          { label: swap ? 'fake_A' : 'fake_B', net: gA, inputs: folderA, real: folderB },
          { label: swap ? 'fake_B' : 'fake_A', net: gB, inputs: folderB, real: folderA },
        ];
      }
      const inception = await loadFidInception({
        file: args.flags['inception-weights'] as string | undefined, log: ctx.log,
        onDownload: (done, total) => progress.onProgress({ stage: 'downloading Inception weights', done, total, unit: 'bytes' }),
      });
      let scores: SideScores[];
      try {
        scores = await scoreTranslations(inception, sides, {
          tOpts: { preprocess: t.preprocess, loadSize: t.loadSize, cropSize: t.cropSize, eval: t.eval },
          numTest: ctx.numTest, kid: metrics.has('kid'), kidSubsets: args.flags['kid-subsets'] as number,
          kidSubsetSize: args.flags['kid-subset-size'] as number, batchSize: args.flags['fid-batch-size'] as number, log: ctx.log,
          onProgress: (stage, done, total) => progress.onProgress({ stage, done, total, unit: 'files' }),
        });
      } finally {
        inception.dispose();
      }
      if (!metrics.has('fid')) for (const s of scores) delete (s as Partial<SideScores>).fid;
      result.scores = scores;
    } finally {
      for (const n of owned) n.dispose();
    }
  } finally {
    progress.end();
  }
  lines.push(...describeScores(result as Parameters<typeof describeScores>[0]));
  if (!ctx.modelFile) {
    const label = testLabelOf(t);
    const file = evalResultFile(setup.runDir, label);
    await writeJsonAtomic(file, { ...result, at: new Date().toISOString() });
    const { page } = resultsPaths(t);
    const onPage = await addMetricsToPage(page, lines);
    ctx.log(`scores written to ${file}${onPage ? ` and ${page}` : ''}`);
  }
  if (args.flags.json) console.log(JSON.stringify(result));
  else for (const l of lines) console.log(l);
  return { handled: true };
}
