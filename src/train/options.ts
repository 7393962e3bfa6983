// The option system of every command, as the official code splits it: one table of base options
// (options/base_options.py), extended by the train options (train_options.py plus the CycleGAN model's
// lambda_A/lambda_B/lambda_identity) and by the test options (test_options.py plus the test model's
// model_suffix). Each command takes its flags from these tables (src/cli/commands/*), so a flag has one
// name, one default and one help text everywhere. Flags are kebab-case; the official snake_case spellings
// (and the older official spellings, with a note) are the same flag. Official options that mean nothing
// here (visdom, wandb, ...) are accepted with a one-line note saying so.
import { CycleGANError } from '../core/errors.js';
import { formatFlags, parseArgs, type FlagSpec, type ParsedArgs, type Rename } from '../flags.js';
import { DISCRIMINATOR_NAMES, GENERATOR_NAMES, INIT_TYPES, NORM_TYPES } from '../core/networks/index.js';
import { GAN_MODES } from '../core/losses.js';
import { LR_POLICIES } from '../core/schedule.js';
import { defaultCycleGANOptions, type CycleGANOptions } from '../core/model.js';
import { DEFAULT_TRANSFORM, PREPROCESS_MODES } from '../core/data/transforms.js';
import { discriminatorTooDeep, sameSizeMultiple } from '../core/networks/size.js';
import { checkFlagValue, DIRECTIONS, parseDecimal } from '../core/limits.js';
import { BACKENDS, GPU_IDS_BACKENDS } from '../backends/names.js';

export { INIT_TYPES, GAN_MODES, LR_POLICIES };
export { DIRECTIONS };
// The official defaults have one owner each: the model's (defaultCycleGANOptions) and the transform's
// (DEFAULT_TRANSFORM); the table below refers to them instead of restating them.
const M = defaultCycleGANOptions();
/** The official models this project implements (pix2pix and colorization are not CycleGAN). */
export const MODELS = ['cycle_gan', 'test'] as const;
export const DATASET_MODES = ['unaligned', 'single'] as const;

/**
 * The flags that fix the saved networks' shapes: continuing a run (train --continue) and testing one take them from
 * the run, and a different value given on the command line is an error.
 */
export const ARCH_FLAGS = ['netG', 'netD', 'n-layers-D', 'ngf', 'ndf', 'norm', 'input-nc', 'output-nc', 'no-dropout'] as const;

/** The model's options (src/core/model.ts) plus those of data, schedule, checkpoints and the run itself. */
export interface TrainOptions extends CycleGANOptions {
  dataroot: string;
  name: string;
  checkpointsDir: string;
  direction: (typeof DIRECTIONS)[number];
  batchSize: number;
  loadSize: number;
  cropSize: number;
  preprocess: (typeof PREPROCESS_MODES)[number];
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
  /** official --load_iter: > 0 loads iter_<n>_net_* instead of --epoch */
  loadIter: number;
  saveEpochFreq: number;
  saveLatestFreq: number;
  saveByIter: boolean;
  displayFreq: number;
  printFreq: number;
  /** official --phase: the data is DATAROOT/<phase>A and <phase>B */
  phase: string;
  /** official --num_threads: data loading worker threads (undefined: 1) */
  numThreads: number | undefined;
  /** native backend: conv variants chosen by a fixed rule (reproducible) instead of by timing */
  deterministic: boolean;
  /** official --gpu_ids as given (undefined: not given); it selects the backend, see backendFor */
  gpuIds: string | undefined;
  /** official --suffix (already applied to name) */
  suffix: string;
  /** official --verbose: the networks' parameter counts and the options at the start */
  verbose: boolean;
  backend: string;
  /**
   * How --continue-train continues (set by the train command): 'state' resumes exactly from the newest
   * checkpoint; 'nets' loads <epoch>_net_* with fresh optimizers from --epoch-count (the official way).
   * Default: 'state' when --epoch is latest and the run has a checkpoint, else 'nets'.
   */
  continueFrom?: 'state' | 'nets';
}

/** One option: a flag spec plus where the resolved value lives. */
export interface OptionDef extends FlagSpec {
  /** the field of TrainOptions (or of the test options) that holds the value */
  key: string;
}

type Kind = FlagSpec['type'];
type Extra = Partial<Pick<OptionDef, 'choices' | 'ignored' | 'aliases' | 'key'>>;

const camel = (flag: string) => flag.replace(/-([a-zA-Z])/g, (_, c: string) => c.toUpperCase());

/** official = undefined: an option of ours, not of the official code. */
const o = (name: string, official: string | undefined, type: Kind, def: FlagSpec['default'], help: string, extra: Extra = {}): OptionDef =>
  ({ name, official, type, default: def, help, key: extra.key ?? camel(name), ...extra });

const VISDOM = 'visdom display of the official code; here the live report is CHECKPOINTS/NAME/web/index.html and `cyclegan serve --name NAME`';
const WANDB = 'Weights & Biases logging is not built in; the losses are in CHECKPOINTS/NAME/loss_log.jsonl';

/** options/base_options.py: the options of every phase. */
export const BASE_OPTIONS: OptionDef[] = [
  o('dataroot', 'dataroot', 'string', undefined, 'folder with trainA, trainB (testA, testB for test; any folder of images for --model test)'),
  o('name', 'name', 'string', undefined, 'name of the run; its folder is CHECKPOINTS_DIR/NAME (required here: the official default experiment_name is easy to overwrite)'),
  o('gpu-ids', 'gpu_ids', 'string', undefined, '-1: CPU only (native, wasm, cpu backends); 0 or more: a hardware GPU (webgpu) when there is one, else CPU with a note; --backend overrides'),
  o('checkpoints-dir', 'checkpoints_dir', 'string', './checkpoints', 'where runs are stored'),
  o('model', 'model', 'string', 'cycle_gan', 'cycle_gan (two generators, both directions) or test (one generator, one direction)', { choices: MODELS }),
  o('input-nc', 'input_nc', 'number', M.inputNc, 'channels of domain A images: 3 RGB, 1 greyscale'),
  o('output-nc', 'output_nc', 'number', M.outputNc, 'channels of domain B images: 3 RGB, 1 greyscale'),
  o('ngf', 'ngf', 'number', M.ngf, 'generator filters in the last conv layer (and the first)'),
  o('ndf', 'ndf', 'number', M.ndf, 'discriminator filters in the first conv layer'),
  o('netD', 'netD', 'string', M.netD, 'discriminator architecture; basic = 70×70 PatchGAN', { choices: DISCRIMINATOR_NAMES }),
  o('netG', 'netG', 'string', M.netG, 'generator architecture', { choices: GENERATOR_NAMES }),
  o('n-layers-D', 'n_layers_D', 'number', M.nLayersD, 'discriminator layers, used when --netD n_layers'),
  o('norm', 'norm', 'string', M.norm, 'normalization (sync_batch/sync_instance of the official DDP code = batch/instance here)', { choices: NORM_TYPES }),
  o('init-type', 'init_type', 'string', M.initType, 'weight initialization', { choices: INIT_TYPES }),
  o('init-gain', 'init_gain', 'number', M.initGain, 'scale for normal, xavier and orthogonal init'),
  o('no-dropout', 'no_dropout', 'boolean', M.noDropout, 'no dropout in the generator: on for --model cycle_gan, as the official CycleGAN model sets it (--no-dropout=false adds dropout)'),
  o('dataset-mode', 'dataset_mode', 'string', 'unaligned', 'unaligned (DATAROOT/<phase>A and <phase>B) or single (every image under DATAROOT; the default of --model test)', { choices: DATASET_MODES }),
  o('direction', 'direction', 'string', 'AtoB', 'AtoB, or BtoA to swap the domains', { choices: DIRECTIONS }),
  o('serial-batches', 'serial_batches', 'boolean', false, 'take B images in order instead of at random'),
  o('num-threads', 'num_threads', 'number', undefined, 'data loading worker threads (official default 4; here 1 unless given, 0 = main thread)'),
  o('batch-size', 'batch_size', 'number', 1, 'images per step'),
  o('load-size', 'load_size', 'number', DEFAULT_TRANSFORM.loadSize, 'scale images to this size'),
  o('crop-size', 'crop_size', 'number', DEFAULT_TRANSFORM.cropSize, 'then crop to this size'),
  o('max-dataset-size', 'max_dataset_size', 'number', Infinity, 'use at most this many images per domain'),
  o('preprocess', 'preprocess', 'string', DEFAULT_TRANSFORM.preprocess, 'image preprocessing', { choices: PREPROCESS_MODES }),
  o('no-flip', 'no_flip', 'boolean', false, 'no random horizontal flips'),
  o('display-winsize', 'display_winsize', 'number', 256, 'display size', { ignored: 'visdom/HTML display size of the official code; our pages size images themselves' }),
  o('epoch', 'epoch', 'string', 'latest', 'which checkpoint to load: latest, an epoch number or iter_<n>'),
  o('load-iter', 'load_iter', 'number', 0, 'if > 0, load iter_<load_iter>_net_* instead of --epoch'),
  o('verbose', 'verbose', 'boolean', false, 'print each network\'s parameter count (as the official print_networks), and train\'s options'),
  o('suffix', 'suffix', 'string', '', 'appended to --name as _SUFFIX; {option} fields are filled in, e.g. {netG}_size{load_size}'),
  o('use-wandb', 'use_wandb', 'boolean', false, 'W&B logging', { ignored: WANDB }),
  o('wandb-project-name', 'wandb_project_name', 'string', 'CycleGAN-and-pix2pix', 'W&B project', { ignored: WANDB }),
  o('backend', undefined, 'string', 'auto', 'TF.js backend: auto (a hardware GPU via webgpu, else native → wasm → cpu), native, wasm, cpu or webgpu', { choices: BACKENDS }),
];

/** options/train_options.py, the CycleGAN model's training options, and ours. */
export const TRAIN_ONLY_OPTIONS: OptionDef[] = [
  o('display-freq', 'display_freq', 'number', 400, 'update web/index.html every this many images'),
  o('display-ncols', 'display_ncols', 'number', 4, 'visdom columns', { ignored: VISDOM }),
  o('display-id', 'display_id', 'number', 1, 'visdom window', { ignored: VISDOM }),
  o('display-server', 'display_server', 'string', 'http://localhost', 'visdom server', { ignored: VISDOM }),
  o('display-env', 'display_env', 'string', 'main', 'visdom environment', { ignored: VISDOM }),
  o('display-port', 'display_port', 'number', 8097, 'visdom port', { ignored: VISDOM }),
  o('update-html-freq', 'update_html_freq', 'number', 1000, 'HTML update', { ignored: 'the report page is updated every --display-freq images' }),
  o('print-freq', 'print_freq', 'number', 100, 'log losses every this many images'),
  o('no-html', 'no_html', 'boolean', false, 'no HTML', { ignored: 'the report page (web/index.html) is always written: it is small and `serve` shows it' }),
  o('save-latest-freq', 'save_latest_freq', 'number', 5000, 'save latest_net_* every this many images'),
  o('save-epoch-freq', 'save_epoch_freq', 'number', 5, 'save <epoch>_net_* every this many epochs'),
  o('save-by-iter', 'save_by_iter', 'boolean', false, 'also keep iter_<n>_net_* at each latest save'),
  o('continue-train', 'continue_train', 'boolean', false, 'continue the run: alone, resume exactly where it stopped; with --epoch-count or --epoch N, as the official code (networks of --epoch, fresh optimizers, epochs from --epoch-count)', { aliases: ['continue'] }),
  o('epoch-count', 'epoch_count', 'number', 1, 'number of the first epoch'),
  o('phase', 'phase', 'string', 'train', 'the data is DATAROOT/<phase>A and <phase>B'),
  o('n-epochs', 'n_epochs', 'number', 100, 'epochs at the initial learning rate'),
  o('n-epochs-decay', 'n_epochs_decay', 'number', 100, 'epochs to decay the learning rate linearly to zero'),
  o('beta1', 'beta1', 'number', M.beta1, 'Adam momentum term'),
  o('lr', 'lr', 'number', M.lr, 'initial Adam learning rate'),
  o('gan-mode', 'gan_mode', 'string', M.ganMode, 'GAN objective', { choices: GAN_MODES }),
  o('pool-size', 'pool_size', 'number', M.poolSize, 'size of the buffer of generated images fed to the discriminators (0 = none)'),
  o('lr-policy', 'lr_policy', 'string', 'linear', 'learning-rate policy (the official lambda is linear)', { choices: LR_POLICIES }),
  o('lr-decay-iters', 'lr_decay_iters', 'number', 50, 'multiply lr by 0.1 every this many epochs (--lr-policy step)'),
  // models/cycle_gan_model.py modify_commandline_options (is_train)
  o('lambda-A', 'lambda_A', 'number', M.lambdaA, 'weight of the cycle loss A→B→A'),
  o('lambda-B', 'lambda_B', 'number', M.lambdaB, 'weight of the cycle loss B→A→B'),
  o('lambda-identity', 'lambda_identity', 'number', M.lambdaIdentity, 'weight of the identity loss, relative to lambda-A/B (0 = off)'),
  o('seed', undefined, 'number', undefined, 'random seed (default: drawn at random and recorded in opt.json)', { key: 'seed' }),
  o('deterministic', undefined, 'boolean', false, 'same seed, same weights on the native backend too (its conv kernels are chosen by a fixed rule, not by timing; docs/ARCHITECTURE.md says what each backend guarantees)'),
];

/** options/test_options.py and the test model's option. */
export const TEST_ONLY_OPTIONS: OptionDef[] = [
  o('results-dir', 'results_dir', 'string', './results', 'results go to RESULTS_DIR/NAME/<phase>_<epoch>/'),
  o('aspect-ratio', 'aspect_ratio', 'number', 1, 'aspect ratio of the written result images (width × it when > 1, height ÷ it when < 1)'),
  o('phase', 'phase', 'string', 'test', 'the data is DATAROOT/<phase>A and <phase>B'),
  o('eval', 'eval', 'boolean', false, 'batch norm running statistics, no dropout (official --eval)'),
  o('num-test', 'num_test', 'number', 50, 'images per domain'),
  // models/test_model.py
  o('model-suffix', 'model_suffix', 'string', '', 'with --model test: load <epoch>_net_G<suffix> (e.g. _A for the G_A of a CycleGAN run)'),
];

function withDefaults(defs: OptionDef[], defaults: Record<string, FlagSpec['default']>): OptionDef[] {
  return defs.map((d) => (d.name in defaults ? { ...d, default: defaults[d.name] } : d));
}

/** Everything `train` accepts (base + train). */
export const TRAIN_OPTIONS: OptionDef[] = [...BASE_OPTIONS, ...TRAIN_ONLY_OPTIONS];

/**
 * Everything `test` accepts (base + test). As test_options.py: the load size defaults to the crop size
 * (resolved at use), and the default --model is decided by the run folder (see resolveModel).
 */
export const TEST_OPTIONS: OptionDef[] = [
  ...withDefaults(BASE_OPTIONS, { model: undefined, 'load-size': undefined, 'no-dropout': undefined })
    // test.py sizes the results page's images with it (train's report page sizes its own)
    .map((d) => (d.name === 'display-winsize' ? { ...d, ignored: undefined, help: 'width of the images on the results page' } : d)),
  ...TEST_ONLY_OPTIONS,
];

/**
 * A command's own selection of the shared options (bench, demo, import-torch, translate), with its own
 * defaults where they differ; the names, types and help stay those of the table.
 */
export function pickOptions(table: readonly OptionDef[], names: readonly string[], defaults: Record<string, FlagSpec['default']> = {}): OptionDef[] {
  return names.map((n) => {
    const d = table.find((x) => x.name === n);
    if (!d) throw new Error(`no option ${n} in the table`);
    return n in defaults ? { ...d, default: defaults[n] } : d;
  });
}

/** Older official spellings (from before the options were renamed upstream). */
export const OLD_SPELLINGS: readonly Rename[] = [
  { from: 'niter', to: 'n-epochs' },
  { from: 'niter_decay', to: 'n-epochs-decay' },
  { from: 'which_epoch', to: 'epoch' },
  { from: 'how_many', to: 'num-test' },
  { from: 'ntest', to: 'num-test' },
  { from: 'resize_or_crop', to: 'preprocess' },
  { from: 'loadSize', to: 'load-size' },
  { from: 'fineSize', to: 'crop-size' },
  { from: 'which_model_netG', to: 'netG' },
  { from: 'which_model_netD', to: 'netD' },
  { from: 'which_direction', to: 'direction' },
  { from: 'nThreads', to: 'num-threads' },
  { from: 'batchSize', to: 'batch-size' },
  { from: 'identity', to: 'lambda-identity' },
  { from: 'no_lsgan', to: 'gan-mode', value: 'vanilla' },
  { from: 'display_single_pane_ncols', to: 'display-ncols' },
];

/** Older or DDP-only official values, mapped to ours: [value, meaning]. */
const VALUE_ALIASES: Record<string, Record<string, [string, string]>> = {
  'lr-policy': { lambda: ['linear', "the official LambdaLR rule: constant for --n-epochs, then linear decay"] },
  norm: {
    sync_batch: ['batch', 'one process here, so synchronized batch norm is batch norm'],
    sync_instance: ['instance', 'one process here, so synchronized instance norm is instance norm'],
  },
};

/** Maps an older value to ours (lambda → linear), noting it; other values pass unchanged. */
export function aliasValue(flag: string, v: unknown, notes?: string[]): unknown {
  const a = typeof v === 'string' ? VALUE_ALIASES[flag]?.[v] : undefined;
  if (!a) return v;
  const official = TRAIN_OPTIONS.find((d) => d.name === flag)?.official ?? flag;
  notes?.push(`--${official} ${String(v)} is ${a[0]} here (${a[1]})`);
  return a[0];
}

/**
 * Parses a command's argv against its options: old spellings renamed, old values mapped, ignored options
 * noted; every unknown flag reported at once with a suggestion.
 */
export function parseCommandArgs(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedArgs {
  const elsewhere = command === 'train' ? undefined : { specs: TRAIN_ONLY_OPTIONS, where: `a train option; ${command} does not take it` };
  const args = parseArgs(argv, specs, { renames: OLD_SPELLINGS, command, elsewhere });
  for (const flag of Object.keys(VALUE_ALIASES)) {
    if (args.given.has(flag)) args.flags[flag] = aliasValue(flag, args.flags[flag], args.notes) as string;
  }
  return args;
}

/** The official --suffix: name + '_' + suffix with {option} fields filled from the options (official names). */
export function applySuffix(name: string, suffix: string, values: Record<string, unknown>): string {
  if (!suffix) return name;
  const filled = suffix.replace(/\{(\w+)\}/g, (m, k: string) => {
    if (!(k in values)) throw new CycleGANError(`--suffix ${suffix}: no option '${k}' to fill in`);
    return String(values[k]);
  });
  return `${name}_${filled}`;
}

/**
 * The backend a run asks for: --backend when given; else --gpu_ids: -1 (or only negative ids) = GPU_IDS_BACKENDS.cpu
 * (native → wasm → cpu, never a GPU), N ≥ 0 = GPU_IDS_BACKENDS.gpu (auto: a hardware GPU when there is one, else the
 * CPU backends, with a note); neither = auto.
 */
export function backendFor(backend: string | undefined, gpuIds: string | undefined, backendGiven: boolean): string {
  if (backendGiven || gpuIds === undefined) return backend ?? 'auto';
  const ids = gpuIds.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.some((s) => !/^-?\d+$/.test(s))) throw new CycleGANError(`--gpu_ids must be -1 or comma-separated GPU numbers, got '${gpuIds}'`);
  return ids.some((s) => Number(s) >= 0) ? GPU_IDS_BACKENDS.gpu : GPU_IDS_BACKENDS.cpu;
}

/** Every option check's failure: one line naming the flag (exit 2). */
export function fail(msg: string): never {
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

/** A flag with a fixed set of values (train's and test's checks). */
export function choice<T extends string>(flag: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) fail(`--${flag} must be one of ${choices.join(', ')}; got '${String(v)}'`);
  return v as T;
}

/** --name (after --suffix) and --phase become folder names: no path separators, not . or .. */
export function checkFolderName(flag: 'name' | 'phase', v: string): string {
  if (/[/\\]/.test(v) || v === '.' || v === '..') fail(`--${flag} must be a plain folder ${flag === 'phase' ? 'prefix' : 'name'}, got '${v}'`);
  return v;
}

/** --epoch: 'latest', an epoch number or iter_<n> (the checkpoint labels a run folder holds). */
export function checkEpoch(epoch: string): string {
  if (epoch !== 'latest' && !/^(\d+|iter_\d+)$/.test(epoch)) fail(`--epoch must be 'latest', an epoch number or iter_<n>, got '${epoch}'`);
  return epoch;
}

/** The checkpoint label --epoch and --load_iter name (--load_iter > 0 wins, as in the official BaseModel.setup). */
export function testLabelOf(t: { epoch: string; loadIter?: number }): string {
  return (t.loadIter ?? 0) > 0 ? `iter_${t.loadIter}` : t.epoch;
}

/**
 * Validates raw flag values (from parseCommandArgs, or an object from a library caller) into TrainOptions.
 * Every failure is a CycleGANError naming the flag. `requireData` is false for commands that only load nets.
 * `notes` collects one-line remarks (older values mapped to ours).
 */
export function resolveTrainOptions(raw: Record<string, unknown>, opts: { requireData?: boolean; notes?: string[] } = {}): TrainOptions {
  const get = (flag: string): unknown => {
    const def = TRAIN_OPTIONS.find((d) => d.name === flag);
    const v = aliasValue(flag, raw[flag], opts.notes);
    return v === undefined ? def?.default : v;
  };
  const str = (flag: string): string => {
    const v = get(flag);
    if (typeof v !== 'string' || v === '') fail(`missing required flag --${flag}`);
    return v;
  };
  const dataroot = opts.requireData === false ? String(get('dataroot') ?? '') : str('dataroot');
  const model = choice('model', get('model'), MODELS);
  if (model !== 'cycle_gan') fail(`--model ${model} is for testing only (cyclegan test --model test); train with --model cycle_gan`);
  const datasetMode = choice('dataset-mode', get('dataset-mode'), DATASET_MODES);
  if (datasetMode !== 'unaligned') fail(`--dataset-mode ${datasetMode} is for --model test; CycleGAN trains on an unaligned dataset`);
  const mdsRaw = get('max-dataset-size');
  let maxDatasetSize: number;
  if (typeof mdsRaw === 'number') maxDatasetSize = mdsRaw;
  else if (typeof mdsRaw === 'string' && /^(inf|infinity)$/i.test(mdsRaw.trim())) maxDatasetSize = Infinity;
  else maxDatasetSize = parseDecimal(String(mdsRaw)) ?? NaN; // strict: '1e400' is not Infinity, '0x10' not 16
  if (!(maxDatasetSize === Infinity || (Number.isInteger(maxDatasetSize) && maxDatasetSize >= 1)))
    fail(`--max-dataset-size must be a whole number ≥ 1 or Infinity, got '${String(mdsRaw)}'`);

  const seedRaw = get('seed');
  const seed = seedRaw === undefined ? Math.floor(Math.random() * 2 ** 31) : int('seed', seedRaw, 0);
  if (seed > 2 ** 32 - 1) fail(`--seed must be below 2^32, got ${seed}`);
  const numThreadsRaw = get('num-threads');
  const gpuIdsRaw = get('gpu-ids');
  const gpuIds = gpuIdsRaw === undefined ? undefined : String(gpuIdsRaw);
  const backend = backendFor(choice('backend', get('backend'), BACKENDS), gpuIds, raw['backend'] !== undefined);

  const r: TrainOptions = {
    dataroot,
    name: str('name'),
    checkpointsDir: str('checkpoints-dir'),
    netG: choice('netG', get('netG'), GENERATOR_NAMES),
    netD: choice('netD', get('netD'), DISCRIMINATOR_NAMES),
    nLayersD: int('n-layers-D', get('n-layers-D'), 1),
    ngf: int('ngf', get('ngf'), 1),
    ndf: int('ndf', get('ndf'), 1),
    norm: choice('norm', get('norm'), NORM_TYPES),
    initType: choice('init-type', get('init-type'), INIT_TYPES),
    initGain: num('init-gain', get('init-gain'), 0, { exclusive: true }),
    noDropout: Boolean(get('no-dropout')),
    inputNc: int('input-nc', get('input-nc'), 1),
    outputNc: int('output-nc', get('output-nc'), 1),
    direction: choice('direction', get('direction'), DIRECTIONS),
    batchSize: int('batch-size', get('batch-size'), 1),
    loadSize: int('load-size', get('load-size'), 1),
    cropSize: int('crop-size', get('crop-size'), 1),
    preprocess: choice('preprocess', get('preprocess'), PREPROCESS_MODES),
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
    continueTrain: Boolean(get('continue-train')) || Boolean(raw['continue']),
    epoch: str('epoch'),
    loadIter: int('load-iter', get('load-iter'), 0),
    saveEpochFreq: int('save-epoch-freq', get('save-epoch-freq'), 1),
    saveLatestFreq: int('save-latest-freq', get('save-latest-freq'), 1),
    saveByIter: Boolean(get('save-by-iter')),
    displayFreq: int('display-freq', get('display-freq'), 1),
    printFreq: int('print-freq', get('print-freq'), 1),
    phase: str('phase'),
    numThreads: numThreadsRaw === undefined ? undefined : int('num-threads', numThreadsRaw, 0),
    gpuIds,
    suffix: String(get('suffix') ?? ''),
    verbose: Boolean(get('verbose')),
    seed,
    deterministic: Boolean(get('deterministic')),
    backend,
  };
  checkFolderName('phase', r.phase);
  r.name = applySuffix(r.name, r.suffix, optionsToJson(r));
  checkFolderName('name', r.name);
  r.epoch = testLabelOf(r);
  // Memory-sizing bounds (the CLI parser checks them too; library callers and opt.json come through here).
  for (const [flag, v] of [['ngf', r.ngf], ['ndf', r.ndf], ['n-layers-D', r.nLayersD], ['batch-size', r.batchSize],
    ['load-size', r.loadSize], ['crop-size', r.cropSize]] as const) checkFlagValue(flag, v);
  for (const [flag, v] of [['input-nc', r.inputNc], ['output-nc', r.outputNc]] as const)
    if (v !== 1 && v !== 3) fail(`--${flag} must be 1 (greyscale) or 3 (RGB), got ${v}`);
  checkEpoch(r.epoch);
  if (r.nEpochs + r.nEpochsDecay < 1) fail('--n-epochs plus --n-epochs-decay must be at least 1');
  if (r.epochCount > r.nEpochs + r.nEpochsDecay)
    fail(`--epoch-count ${r.epochCount} is past the last epoch (--n-epochs ${r.nEpochs} + --n-epochs-decay ${r.nEpochsDecay}); raise --n-epochs-decay (or --n-epochs) to train more`);
  if ((r.preprocess === 'resize_and_crop' || r.preprocess === 'scale_width_and_crop') && r.cropSize > r.loadSize)
    fail(`--crop-size ${r.cropSize} is larger than --load-size ${r.loadSize}`);
  if (r.preprocess.includes('crop')) {
    const m = sameSizeMultiple(r.netG); // the cycle loss compares an image with its reconstruction
    if (r.cropSize % m !== 0) fail(`--crop-size must be a multiple of ${m} for --netG ${r.netG}, got ${r.cropSize}`);
  }
  const tooDeep = r.preprocess.includes('crop') ? discriminatorTooDeep(r, r.cropSize) : undefined;
  if (tooDeep) {
    fail(`--crop-size ${r.cropSize} is too small for a ${tooDeep.layers}-layer discriminator (its output would be empty); ` +
      (r.netD === 'basic' ? 'use a larger --crop-size' : `use --n-layers-D ${tooDeep.most} or less, or a larger --crop-size`));
  }
  // Official cycle_gan_model.py asserts this: the identity loss feeds B images to G_A.
  if (r.lambdaIdentity > 0 && r.inputNc !== r.outputNc)
    fail(`--lambda-identity needs --input-nc equal to --output-nc (got ${r.inputNc} and ${r.outputNc}); pass --lambda-identity 0`);
  return r;
}

/** A flag's default in an option table (TRAIN_OPTIONS, TEST_OPTIONS): library callers that leave it out get the CLI's. */
export function defaultOf(table: readonly OptionDef[], flag: string): FlagSpec['default'] {
  const d = table.find((o) => o.name === flag);
  if (!d) throw new Error(`no option --${flag} in this table`);
  return d.default;
}

/** The command line that continues a run (the checkpoints folder named only when it is not the default). */
export function resumeCommand(o: { dataroot: string; name: string; checkpointsDir: string }): string {
  const dir = o.checkpointsDir !== defaultOf(TRAIN_OPTIONS, 'checkpoints-dir') ? ` --checkpoints-dir ${o.checkpointsDir}` : '';
  return `cyclegan train --dataroot ${o.dataroot} --name ${o.name}${dir} --continue`;
}

/** Options held by field (TrainOptions, or a subset such as the training page's) as flag-keyed raw values, for resolveTrainOptions. */
export function optionsToRawFlags(o: object): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const d of TRAIN_OPTIONS) if (d.key in o) raw[d.name] = (o as Record<string, unknown>)[d.key];
  return raw;
}

/** The options as written to opt.json (official snake_case names, like the official opt.txt). */
export function optionsToJson(opts: TrainOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of TRAIN_OPTIONS) {
    if (d.ignored || !(d.key in opts)) continue;
    const v = (opts as unknown as Record<string, unknown>)[d.key];
    if (v === undefined) continue;
    out[d.official ?? d.name] = v === Infinity ? 'Infinity' : v;
  }
  return out;
}

/** Reads opt.json back into flag-keyed raw values (for resolveTrainOptions). */
export function jsonToRawFlags(json: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const d of TRAIN_OPTIONS) {
    if (d.ignored) continue;
    const k = d.official ?? d.name;
    if (k in json) raw[d.name] = json[k];
  }
  // what --gpu_ids resolved to is not a --backend value: the run's gpu_ids (or a new one) decides it again
  if ((Object.values(GPU_IDS_BACKENDS) as unknown[]).includes(raw['backend'])) delete raw['backend'];
  return raw;
}

/** One help line per option, for `cyclegan <command> --help`. */
export function optionsHelp(usage: string, defs: readonly OptionDef[]): string {
  const lines = [usage, '', 'options (the official snake_case spellings work too):', formatFlags(defs.filter((d) => !d.ignored))];
  const ign = defs.filter((d) => d.ignored).map((d) => `--${d.official ?? d.name}`);
  if (ign.length) lines.push('', `accepted and ignored (they drive the official visdom/wandb displays): ${ign.join(' ')}`);
  lines.push(`older official spellings are accepted with a note: ${OLD_SPELLINGS.map((r) => `--${r.from}`).join(' ')}`);
  return lines.join('\n');
}

export function trainHelp(): string {
  return optionsHelp('usage: cyclegan train --dataroot DIR --name NAME [options]', TRAIN_OPTIONS);
}

/** The markdown table of a command's options, as docs/workflow.md shows it (a test keeps the two equal). */
export function optionsMarkdown(defs: readonly OptionDef[]): string {
  const rows = ['| flag | official | default | meaning |', '| --- | --- | --- | --- |'];
  for (const d of defs) {
    if (d.ignored) continue;
    const def = d.type === 'boolean' ? (d.default ? 'on' : 'off') : d.default === undefined || d.default === '' ? '—' : String(d.default);
    const ch = d.choices ? ` [${d.choices.join(', ')}]` : '';
    const names = [d.name, ...(d.aliases ?? [])].map((n) => `\`--${n}\``).join(', ');
    rows.push(`| ${names} | ${d.official ? `\`--${d.official}\`` : '—'} | ${def} | ${(d.help ?? '').replace(/\|/g, '\\|')}${ch} |`);
  }
  const ign = defs.filter((d) => d.ignored);
  if (ign.length) {
    const byReason = new Map<string, string[]>();
    for (const d of ign) byReason.set(d.ignored!, [...(byReason.get(d.ignored!) ?? []), `\`--${d.official ?? d.name}\``]);
    rows.push('', 'Accepted and ignored, with a one-line note saying why:', '');
    for (const [why, flags] of byReason) rows.push(`- ${flags.join(', ')}: ${why}`);
  }
  return rows.join('\n');
}

/** Options the official argparse declares as float (printed as Python prints floats: 10.0, 0.0002). */
const FLOAT_OPTIONS = new Set(['lr', 'beta1', 'lambda_A', 'lambda_B', 'lambda_identity', 'init_gain', 'aspect_ratio']);

function pyStr(v: unknown, float: boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === Infinity || v === 'Infinity') return 'inf';
  if (typeof v === 'number' && float && Number.isInteger(v)) return `${v}.0`;
  return v === undefined ? 'None' : String(v);
}

/**
 * The official <phase>_opt.txt (BaseOptions.print_options): every option sorted by name as `{:>25}: {:<30}`, with
 * `[default: X]` where the value differs from the default. Options of ours (seed, backend) are not in it.
 */
export function officialOptionsText(opts: TrainOptions): string {
  const json = optionsToJson(opts);
  const rows: Array<[string, string, string]> = [];
  for (const d of TRAIN_OPTIONS) {
    if (!d.official) continue;
    const float = FLOAT_OPTIONS.has(d.official);
    const v = d.ignored ? d.default : d.official === 'continue_train' ? opts.continueTrain : d.official === 'gpu_ids' ? (opts.gpuIds ?? '0') : (json[d.official] ?? d.default);
    // the official name of our linear policy is lambda
    const def = d.official === 'gpu_ids' ? '0' : d.official === 'lr_policy' ? 'lambda' : d.default;
    const val = d.official === 'lr_policy' && v === 'linear' ? 'lambda' : pyStr(v, float);
    rows.push([d.official, val, val !== pyStr(def, float) ? `\t[default: ${pyStr(def, float)}]` : '']);
  }
  rows.push(['isTrain', 'True', '']);
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const lines = ['----------------- Options ---------------'];
  for (const [k, v, c] of rows) lines.push(`${k.padStart(25)}: ${v.padEnd(30)}${c}`);
  lines.push('----------------- End -------------------');
  return lines.join('\n') + '\n';
}
