// The official train options (options/base_options.py + train_options.py), their defaults, and validation.
// Flags are kebab-case; src/cli/args.ts accepts the official snake_case spellings as the same flag.
import { CycleGANError } from '../errors.js';
import type { FlagSpec, ParsedArgs } from '../cli/args.js';
import { DISCRIMINATOR_NAMES, GENERATOR_NAMES, INIT_TYPES, NORM_TYPES } from '../networks/index.js';
import { GAN_MODES } from '../losses.js';
import { LR_POLICIES } from '../schedule.js';
import type { CycleGANOptions } from '../model.js';

export const NET_G = GENERATOR_NAMES;
export const NET_D = DISCRIMINATOR_NAMES;
export const NORMS = NORM_TYPES;
export { INIT_TYPES, GAN_MODES, LR_POLICIES };
export const DIRECTIONS = ['AtoB', 'BtoA'] as const;
export const PREPROCESS = ['resize_and_crop', 'crop', 'scale_width', 'scale_width_and_crop', 'none'] as const;
export const BACKENDS = ['auto', 'native', 'wasm', 'cpu'] as const;

/** The model's options (src/model.ts) plus those of data, schedule, checkpoints and the run itself. */
export interface TrainOptions extends CycleGANOptions {
  dataroot: string;
  name: string;
  checkpointsDir: string;
  direction: (typeof DIRECTIONS)[number];
  batchSize: number;
  loadSize: number;
  cropSize: number;
  preprocess: (typeof PREPROCESS)[number];
  noFlip: boolean;
  serialBatches: boolean;
  maxDatasetSize: number;
  lrPolicy: (typeof LR_POLICIES)[number];
  lrDecayIters: number;
  nEpochs: number;
  nEpochsDecay: number;
  epochCount: number;
  continueTrain: boolean;
  epoch: string;
  saveEpochFreq: number;
  saveLatestFreq: number;
  saveByIter: boolean;
  displayFreq: number;
  printFreq: number;
  backend: string;
}

type Kind = 'string' | 'number' | 'boolean';
export interface OptionDef {
  /** kebab-case flag name */
  flag: string;
  /** the official option name (snake_case) */
  official: string;
  key: keyof TrainOptions;
  type: Kind;
  default: string | number | boolean | undefined;
  help: string;
  choices?: readonly string[];
}

const o = (flag: string, official: string, key: keyof TrainOptions, type: Kind, def: OptionDef['default'], help: string, choices?: readonly string[]): OptionDef =>
  ({ flag, official, key, type, default: def, help, choices });

/** The option table, in the order the README lists it. */
export const TRAIN_OPTIONS: OptionDef[] = [
  o('dataroot', 'dataroot', 'dataroot', 'string', undefined, 'folder with trainA, trainB (testA, testB for test)'),
  o('name', 'name', 'name', 'string', undefined, 'name of the run; its folder is CHECKPOINTS_DIR/NAME'),
  o('checkpoints-dir', 'checkpoints_dir', 'checkpointsDir', 'string', './checkpoints', 'where runs are stored'),
  o('netG', 'netG', 'netG', 'string', 'resnet_9blocks', 'generator architecture', NET_G),
  o('netD', 'netD', 'netD', 'string', 'basic', 'discriminator architecture; basic = 70×70 PatchGAN', NET_D),
  o('n-layers-D', 'n_layers_D', 'nLayersD', 'number', 3, 'discriminator layers, used when --netD n_layers'),
  o('ngf', 'ngf', 'ngf', 'number', 64, 'generator filters in the last conv layer'),
  o('ndf', 'ndf', 'ndf', 'number', 64, 'discriminator filters in the first conv layer'),
  o('norm', 'norm', 'norm', 'string', 'instance', 'normalization', NORMS),
  o('init-type', 'init_type', 'initType', 'string', 'normal', 'weight initialization', INIT_TYPES),
  o('init-gain', 'init_gain', 'initGain', 'number', 0.02, 'scale for normal, xavier and orthogonal init'),
  o('no-dropout', 'no_dropout', 'noDropout', 'boolean', true, 'no dropout in the generator: on, as the official CycleGAN model sets it (--no-dropout=false adds dropout)'),
  o('input-nc', 'input_nc', 'inputNc', 'number', 3, 'channels of domain A images: 3 RGB, 1 greyscale'),
  o('output-nc', 'output_nc', 'outputNc', 'number', 3, 'channels of domain B images: 3 RGB, 1 greyscale'),
  o('direction', 'direction', 'direction', 'string', 'AtoB', 'AtoB, or BtoA to swap the domains', DIRECTIONS),
  o('batch-size', 'batch_size', 'batchSize', 'number', 1, 'images per step'),
  o('load-size', 'load_size', 'loadSize', 'number', 286, 'scale images to this size'),
  o('crop-size', 'crop_size', 'cropSize', 'number', 256, 'then crop to this size'),
  o('preprocess', 'preprocess', 'preprocess', 'string', 'resize_and_crop', 'image preprocessing', PREPROCESS),
  o('no-flip', 'no_flip', 'noFlip', 'boolean', false, 'no random horizontal flips'),
  o('serial-batches', 'serial_batches', 'serialBatches', 'boolean', false, 'take B images in order instead of at random'),
  o('max-dataset-size', 'max_dataset_size', 'maxDatasetSize', 'string', 'Infinity', 'use at most this many images per domain'),
  o('gan-mode', 'gan_mode', 'ganMode', 'string', 'lsgan', 'GAN objective', GAN_MODES),
  o('lambda-A', 'lambda_A', 'lambdaA', 'number', 10, 'weight of the cycle loss A→B→A'),
  o('lambda-B', 'lambda_B', 'lambdaB', 'number', 10, 'weight of the cycle loss B→A→B'),
  o('lambda-identity', 'lambda_identity', 'lambdaIdentity', 'number', 0.5, 'weight of the identity loss, relative to lambda-A/B (0 = off)'),
  o('pool-size', 'pool_size', 'poolSize', 'number', 50, 'size of the buffer of generated images fed to the discriminators (0 = none)'),
  o('lr', 'lr', 'lr', 'number', 0.0002, 'initial Adam learning rate'),
  o('beta1', 'beta1', 'beta1', 'number', 0.5, 'Adam momentum term'),
  o('lr-policy', 'lr_policy', 'lrPolicy', 'string', 'linear', 'learning-rate policy', LR_POLICIES),
  o('lr-decay-iters', 'lr_decay_iters', 'lrDecayIters', 'number', 50, 'multiply lr by 0.1 every this many epochs (--lr-policy step)'),
  o('n-epochs', 'n_epochs', 'nEpochs', 'number', 100, 'epochs at the initial learning rate'),
  o('n-epochs-decay', 'n_epochs_decay', 'nEpochsDecay', 'number', 100, 'epochs to decay the learning rate linearly to zero'),
  o('epoch-count', 'epoch_count', 'epochCount', 'number', 1, 'number of the first epoch (with --continue --epoch N: where to restart; a plain --continue resumes at the saved position)'),
  o('continue', 'continue_train', 'continueTrain', 'boolean', false, 'continue the run from its saved state'),
  o('epoch', 'epoch', 'epoch', 'string', 'latest', 'with --continue: which checkpoint to load (latest or an epoch number)'),
  o('save-epoch-freq', 'save_epoch_freq', 'saveEpochFreq', 'number', 5, 'save <epoch>_net_* every this many epochs'),
  o('save-latest-freq', 'save_latest_freq', 'saveLatestFreq', 'number', 5000, 'save latest_net_* every this many images'),
  o('save-by-iter', 'save_by_iter', 'saveByIter', 'boolean', false, 'also keep iter_<n>_net_* at each latest save'),
  o('display-freq', 'display_freq', 'displayFreq', 'number', 400, 'update web/index.html every this many images'),
  o('print-freq', 'print_freq', 'printFreq', 'number', 100, 'log losses every this many images'),
  o('seed', 'seed', 'seed', 'number', undefined, 'random seed (default: drawn at random and recorded in opt.json)'),
  o('backend', 'backend', 'backend', 'string', 'auto', 'auto (native → wasm → cpu), native, wasm or cpu', BACKENDS),
];

/** The flags for src/cli/args.ts parseArgs. Both `--continue` and the official `--continue_train` work. */
export function trainFlagSpecs(): FlagSpec[] {
  const specs: FlagSpec[] = TRAIN_OPTIONS.map((d) => ({ name: d.flag, type: d.type, default: d.default, help: d.help }));
  specs.push({ name: 'continue-train', type: 'boolean', default: false, help: 'same as --continue' });
  return specs;
}

function fail(msg: string): never {
  throw new CycleGANError(msg);
}

function int(flag: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`--${flag} must be a whole number, got ${String(v)}`);
  if (v < min) fail(`--${flag} must be at least ${min}, got ${v}`);
  return v;
}

function num(flag: string, v: unknown, min: number, opts: { exclusive?: boolean; max?: number; maxExclusive?: boolean } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`--${flag} must be a number, got ${String(v)}`);
  if (opts.exclusive ? v <= min : v < min) fail(`--${flag} must be ${opts.exclusive ? 'greater than' : 'at least'} ${min}, got ${v}`);
  if (opts.max !== undefined && (opts.maxExclusive ? v >= opts.max : v > opts.max))
    fail(`--${flag} must be ${opts.maxExclusive ? 'less than' : 'at most'} ${opts.max}, got ${v}`);
  return v;
}

function choice<T extends string>(flag: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) fail(`--${flag} must be one of ${choices.join(', ')}; got '${String(v)}'`);
  return v as T;
}

/** Number of stride-2 downsamplings; a crop must be a multiple of 2^n for the output to match the input. */
export function sizeMultiple(netG: TrainOptions['netG']): number {
  return netG === 'unet_256' ? 256 : netG === 'unet_128' ? 128 : 4;
}

/**
 * Validates raw flag values (from parseArgs, or an object from a library caller) into TrainOptions.
 * Every failure is a CycleGANError naming the flag. `requireData` is false for commands that only load nets.
 */
export function resolveTrainOptions(raw: Record<string, unknown>, opts: { requireData?: boolean } = {}): TrainOptions {
  const get = (flag: string): unknown => {
    const def = TRAIN_OPTIONS.find((d) => d.flag === flag);
    const v = raw[flag];
    return v === undefined ? def?.default : v;
  };
  const str = (flag: string): string => {
    const v = get(flag);
    if (typeof v !== 'string' || v === '') fail(`missing required flag --${flag}`);
    return v;
  };
  const dataroot = opts.requireData === false ? String(get('dataroot') ?? '') : str('dataroot');
  const name = str('name');
  if (/[/\\]/.test(name) || name === '.' || name === '..') fail(`--name must be a plain folder name, got '${name}'`);
  const mdsRaw = get('max-dataset-size');
  let maxDatasetSize: number;
  if (typeof mdsRaw === 'number') maxDatasetSize = mdsRaw;
  else if (typeof mdsRaw === 'string' && /^(inf|infinity)$/i.test(mdsRaw.trim())) maxDatasetSize = Infinity;
  else maxDatasetSize = Number(mdsRaw);
  if (!(maxDatasetSize === Infinity || (Number.isInteger(maxDatasetSize) && maxDatasetSize >= 1)))
    fail(`--max-dataset-size must be a whole number ≥ 1 or Infinity, got '${String(mdsRaw)}'`);

  const seedRaw = get('seed');
  const seed = seedRaw === undefined ? Math.floor(Math.random() * 2 ** 31) : int('seed', seedRaw, 0);
  if (seed > 2 ** 32 - 1) fail(`--seed must be below 2^32, got ${seed}`);

  const r: TrainOptions = {
    dataroot,
    name,
    checkpointsDir: str('checkpoints-dir'),
    netG: choice('netG', get('netG'), NET_G),
    netD: choice('netD', get('netD'), NET_D),
    nLayersD: int('n-layers-D', get('n-layers-D'), 1),
    ngf: int('ngf', get('ngf'), 1),
    ndf: int('ndf', get('ndf'), 1),
    norm: choice('norm', get('norm'), NORMS),
    initType: choice('init-type', get('init-type'), INIT_TYPES),
    initGain: num('init-gain', get('init-gain'), 0, { exclusive: true }),
    noDropout: Boolean(get('no-dropout')),
    inputNc: int('input-nc', get('input-nc'), 1),
    outputNc: int('output-nc', get('output-nc'), 1),
    direction: choice('direction', get('direction'), DIRECTIONS),
    batchSize: int('batch-size', get('batch-size'), 1),
    loadSize: int('load-size', get('load-size'), 1),
    cropSize: int('crop-size', get('crop-size'), 1),
    preprocess: choice('preprocess', get('preprocess'), PREPROCESS),
    noFlip: Boolean(get('no-flip')),
    serialBatches: Boolean(get('serial-batches')),
    maxDatasetSize,
    ganMode: choice('gan-mode', get('gan-mode'), GAN_MODES),
    lambdaA: num('lambda-A', get('lambda-A'), 0),
    lambdaB: num('lambda-B', get('lambda-B'), 0),
    lambdaIdentity: num('lambda-identity', get('lambda-identity'), 0),
    poolSize: int('pool-size', get('pool-size'), 0),
    lr: num('lr', get('lr'), 0, { exclusive: true }),
    beta1: num('beta1', get('beta1'), 0, { max: 1, maxExclusive: true }),
    lrPolicy: choice('lr-policy', get('lr-policy'), LR_POLICIES),
    lrDecayIters: int('lr-decay-iters', get('lr-decay-iters'), 1),
    nEpochs: int('n-epochs', get('n-epochs'), 0),
    nEpochsDecay: int('n-epochs-decay', get('n-epochs-decay'), 0),
    epochCount: int('epoch-count', get('epoch-count'), 1),
    continueTrain: Boolean(get('continue')) || Boolean(raw['continue-train']),
    epoch: str('epoch'),
    saveEpochFreq: int('save-epoch-freq', get('save-epoch-freq'), 1),
    saveLatestFreq: int('save-latest-freq', get('save-latest-freq'), 1),
    saveByIter: Boolean(get('save-by-iter')),
    displayFreq: int('display-freq', get('display-freq'), 1),
    printFreq: int('print-freq', get('print-freq'), 1),
    seed,
    backend: choice('backend', get('backend'), BACKENDS),
  };
  for (const [flag, v] of [['input-nc', r.inputNc], ['output-nc', r.outputNc]] as const)
    if (v !== 1 && v !== 3) fail(`--${flag} must be 1 (greyscale) or 3 (RGB), got ${v}`);
  if (r.epoch !== 'latest' && !/^(\d+|iter_\d+)$/.test(r.epoch)) fail(`--epoch must be 'latest', an epoch number or iter_<n>, got '${r.epoch}'`);
  if (r.nEpochs + r.nEpochsDecay < 1) fail('--n-epochs plus --n-epochs-decay must be at least 1');
  if (r.epochCount > r.nEpochs + r.nEpochsDecay)
    fail(`--epoch-count ${r.epochCount} is past the last epoch (--n-epochs ${r.nEpochs} + --n-epochs-decay ${r.nEpochsDecay})`);
  if ((r.preprocess === 'resize_and_crop' || r.preprocess === 'scale_width_and_crop') && r.cropSize > r.loadSize)
    fail(`--crop-size ${r.cropSize} is larger than --load-size ${r.loadSize}`);
  if (r.preprocess.includes('crop')) {
    const m = sizeMultiple(r.netG);
    if (r.cropSize % m !== 0) fail(`--crop-size must be a multiple of ${m} for --netG ${r.netG}, got ${r.cropSize}`);
  }
  // Official cycle_gan_model.py asserts this: the identity loss feeds B images to G_A.
  if (r.lambdaIdentity > 0 && r.inputNc !== r.outputNc)
    fail(`--lambda-identity needs --input-nc equal to --output-nc (got ${r.inputNc} and ${r.outputNc}); pass --lambda-identity 0`);
  return r;
}

export function optionsFromArgs(args: ParsedArgs, opts: { requireData?: boolean } = {}): TrainOptions {
  return resolveTrainOptions(args.flags, opts);
}

/** The options as written to opt.json (official snake_case names, like the official opt.txt). */
export function optionsToJson(opts: TrainOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of TRAIN_OPTIONS) {
    const v = opts[d.key];
    out[d.official] = v === Infinity ? 'Infinity' : v;
  }
  return out;
}

/** Reads opt.json back into flag-keyed raw values (for resolveTrainOptions). */
export function jsonToRawFlags(json: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const d of TRAIN_OPTIONS) if (d.official in json) raw[d.flag] = json[d.official];
  if (typeof raw['max-dataset-size'] === 'number') raw['max-dataset-size'] = String(raw['max-dataset-size']);
  return raw;
}

/** One help line per option, for `cyclegan train --help`. */
export function trainHelp(): string {
  const lines = ['usage: cyclegan train --dataroot DIR --name NAME [options]', '', 'options (official snake_case spellings work too):'];
  for (const d of TRAIN_OPTIONS) {
    const def = d.default === undefined ? '' : d.type === 'boolean' ? '' : ` (default ${d.default})`;
    const ch = d.choices ? ` [${d.choices.join('|')}]` : '';
    lines.push(`  --${d.flag.padEnd(18)} ${d.help}${ch}${def}`);
  }
  return lines.join('\n');
}
