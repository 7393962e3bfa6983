// `cyclegan browser-run`: moves a run between the in-browser training page and `cyclegan train`.
import { parseCommand, commonFlags, requireString, UsageError, type FlagSpec } from '../args.js';
import {
  BASE_OPTIONS, pickOptions, writeFileAtomic, exportBrowserRun, importBrowserRun,
  maxRunStateBytes, readFileBounded, resumeCommand, WEIGHTS_LIMIT_HINT,
} from '../../index.js';

const FLAGS: FlagSpec[] = [
  ...pickOptions(BASE_OPTIONS, ['checkpoints-dir', 'name']),
  { name: 'out', type: 'string', help: 'export: the file to write (load it in the page with "Continue a CLI run")' },
  ...commonFlags('help'),
];

function usage(): string {
  return [
    'usage: cyclegan browser-run import RUN.safetensors --name NAME [--checkpoints-dir DIR]',
    '       cyclegan browser-run export --name NAME [--checkpoints-dir DIR] --out RUN.safetensors',
    '',
    'import: a run saved by the training page ("Download the run") becomes CHECKPOINTS_DIR/NAME; continue it with',
    '        cyclegan train --dataroot D --name NAME --continue   (D/trainA, D/trainB: the images picked in the page)',
    'export: the newest checkpoint of a `cyclegan train` run, for the page to continue (with the same images).',
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, FLAGS, 'browser-run', usage);
  if (!args) return 0;
  const [action, ...rest] = args.positional;
  const name = requireString(args, 'name');
  const dir = String(args.flags['checkpoints-dir']);
  if (action === 'import') {
    if (rest.length !== 1) throw new UsageError('browser-run import takes one file: the run saved by the training page');
    // the four networks, Adam's two moments of each and the image pools (maxRunStateBytes says how it is bounded)
    const bytes = await readFileBounded(rest[0], { what: 'saved browser run', maxBytes: maxRunStateBytes(), limitHint: WEIGHTS_LIMIT_HINT });
    const r = await importBrowserRun(bytes, dir, name, rest[0]);
    console.log(`wrote ${r.root}: ${r.totalIters} images trained, next epoch ${r.epoch}; continue with: ` +
      resumeCommand({ dataroot: 'DATAROOT', name, checkpointsDir: dir }));
    return 0;
  }
  if (action === 'export') {
    if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const out = requireString(args, 'out');
    const bytes = await exportBrowserRun(dir, name);
    await writeFileAtomic(out, bytes);
    console.log(`wrote ${out} (${(bytes.length / 1e6).toFixed(2)} MB): open the training page, pick the same images, and choose it under "Continue a CLI run"`);
    return 0;
  }
  throw new UsageError(`browser-run needs 'import FILE' or 'export' (got ${action === undefined ? 'nothing' : `'${action}'`})`);
}
