// `cyclegan pretrained list` and `cyclegan pretrained get NAME`: the official pretrained CycleGAN generators
// (scripts/download_cyclegan_model.sh), downloaded and converted into ready model files.
import { parseCommand, commonFlags, UsageError, formatFlags, type FlagSpec } from '../args.js';
import {
  BASE_OPTIONS, pickOptions, defaultCacheDir, type ProgressEvent, getPretrained, OFFICIAL_BASE,
  OFFICIAL_PRETRAINED, PRETRAINED_SPEC, type GeneratorSpec,
} from '../../index.js';

const FLAGS: FlagSpec[] = [
  ...commonFlags('cache-dir', 'mirror'),
  ...pickOptions(BASE_OPTIONS, ['checkpoints-dir', 'netG', 'ngf', 'norm']),
  { name: 'force', type: 'boolean', default: false, help: 'download and convert again even if cached' },
  ...commonFlags('help'),
];

const USAGE = `usage: cyclegan pretrained list
       cyclegan pretrained get NAME [--checkpoints-dir ./checkpoints] [--cache-dir DIR] [--mirror URL|DIR] [--force]

Downloads ${OFFICIAL_BASE}/pretrained_models/NAME.pth (resumable), converts it (resnet_9blocks, ngf 64,
instance norm, no dropout: the official pretrained generators) into CACHE/pretrained/NAME.safetensors and
installs CHECKPOINTS/NAME_pretrained/latest_net_G.safetensors, where the official script puts latest_net_G.pth:
  cyclegan test --dataroot datasets/horse2zebra/testA --name horse2zebra_pretrained --model test --no_dropout
  cyclegan translate --model CACHE/pretrained/NAME.safetensors --out DIR IMAGES...`;

function printer(): { on: (e: ProgressEvent) => void; end: () => void } {
  let lastPct = -1, lastStage = '';
  const tty = process.stderr.isTTY;
  return {
    on(e) {
      const pct = e.total ? Math.floor((100 * (e.done ?? 0)) / e.total) : -1;
      const line = `${e.stage}${e.done !== undefined ? `: ${(e.done / 1e6).toFixed(1)} MB${e.total ? ` / ${(e.total / 1e6).toFixed(1)} MB (${pct}%)` : ''}` : ''}`;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else if (e.stage !== lastStage || Math.floor(pct / 10) !== Math.floor(lastPct / 10)) process.stderr.write(`${line}\n`);
      lastPct = pct;
      lastStage = e.stage;
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  const help = () => USAGE + '\n\n' + formatFlags(FLAGS);
  const args = parseCommand(argv, FLAGS, 'pretrained', help);
  if (!args) return 0;
  const [sub, name, ...extra] = args.positional;
  if (!sub) {
    console.log(help());
    return 1;
  }
  if (sub === 'list') {
    console.log(`official pretrained CycleGAN generators (cyclegan pretrained get NAME):\n  ${OFFICIAL_PRETRAINED.join(', ')}`);
    return 0;
  }
  if (sub !== 'get') throw new UsageError(`unknown pretrained subcommand '${sub}' (list or get)`);
  if (!name) throw new UsageError('pretrained get needs a NAME (see: cyclegan pretrained list)');
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const spec: GeneratorSpec = {
    ...PRETRAINED_SPEC, netG: String(args.flags.netG) as GeneratorSpec['netG'], ngf: Number(args.flags.ngf), norm: String(args.flags.norm) as GeneratorSpec['norm'],
  };
  const p = printer();
  const t0 = Date.now();
  try {
    const r = await getPretrained(name, {
      cacheDir: (args.flags['cache-dir'] as string | undefined) ?? defaultCacheDir(), mirror: args.flags.mirror as string | undefined,
      checkpointsDir: String(args.flags['checkpoints-dir']), force: Boolean(args.flags.force), spec, onProgress: p.on,
    });
    p.end();
    console.log(`${name}: ${r.model}${r.source ? ` from ${r.source}` : ' (cached)'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (r.runFile) console.log(`  run folder: ${r.runFile} (cyclegan test --name ${name}_pretrained --model test ...)`);
  } catch (e) {
    p.end();
    throw e;
  }
  return 0;
}
