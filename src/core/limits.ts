// Resource limits, decided before anything is allocated: a hostile or careless input (a zip bomb, a tensor
// claiming a billion elements, a PNG claiming 16000² pixels, --ngf 100000) gets one line naming the file or
// flag, never a multi-gigabyte allocation. Defaults fit a laptop; each limit can be raised through its
// environment variable, which the error message names.
import { CycleGANError } from './errors.js';

/**
 * An environment variable in Node; none in a browser (every limit keeps its default there). The one reader of
 * the environment for code that also runs in a browser (the webgpu backend's switches too).
 */
export function envVar(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

function envNumber(name: string, fallback: number): number {
  const raw = envVar(name);
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!/^\s*\d+(\.\d+)?([eE]\+?\d+)?\s*$/.test(raw) || !Number.isFinite(n) || n <= 0) {
    throw new CycleGANError(`environment variable ${name} must be a positive number, got '${raw}'`);
  }
  return n;
}

/** The default of maxImagePixels (also the training page's limit: a browser has no environment variables). */
export const DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096;

/** Largest image (width × height) any decode path accepts. 4096² RGB is 50 MB of bytes, 200 MB as floats. */
export function maxImagePixels(): number {
  return Math.floor(envNumber('CYCLEGAN_MAX_PIXELS', DEFAULT_MAX_IMAGE_PIXELS));
}

/** What the pixel limit's messages say to raise it (the variable maxImagePixels reads). */
export const PIXELS_LIMIT_HINT = 'set CYCLEGAN_MAX_PIXELS to raise it';

/** An image over a pixel limit, in words: the CLI's (maxImagePixels, raised by its variable) unless a page gives its own. */
export function pixelLimitMessage(w: number | undefined, h: number | undefined, limit = maxImagePixels(), hint: string | null = PIXELS_LIMIT_HINT): string {
  const size = w && h ? `${w}x${h} pixels` : 'the image';
  return `${size} is over the ${limit}-pixel limit${hint ? ` (${hint})` : ''}`;
}

/** A size for the message: '2 GB'-style at the scale of the limits, exact for tiny test limits. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1048576) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KB`;
  return `${n >= 10 * 1048576 ? Math.round(n / 1048576) : (n / 1048576).toFixed(1).replace(/\.0$/, '')} MB`;
}

/** 'over the 50 MB limit (set … to raise it)': the end of every size-limit message (a weights file's declared sizes too). */
export function overSizeLimit(limit: number, hint?: string): string {
  return `over the ${formatBytes(limit)} limit${hint ? ` (${hint})` : ''}`;
}

/** A file over a size limit, in words ('60 MB is over the 50 MB limit (set … to raise it)'): every file reader's. */
export function sizeLimitMessage(bytes: number, limit: number, hint?: string): string {
  return `${formatBytes(bytes)} is ${overSizeLimit(limit, hint)}`;
}

/**
 * Largest total of float32 tensor bytes a weights file may expand to. The biggest official generator
 * (unet_256, ngf 64) is 218 MB; 1 GiB leaves room for other state dicts.
 */
export function maxWeightBytes(): number {
  return Math.floor(envNumber('CYCLEGAN_MAX_WEIGHTS_MB', 1024) * 1024 * 1024);
}

/** What the weights limit's messages say to raise it (the variable maxWeightBytes reads). */
export const WEIGHTS_LIMIT_HINT = 'set CYCLEGAN_MAX_WEIGHTS_MB to raise it';

/**
 * A run's saved training state, read whole: a checkpoint's train_state.safetensors (Adam's two moments of all four
 * networks, 2 × their bytes, and the two image pools) or a saved browser run (the four networks and that state,
 * 3 × their bytes and the pools). Each network may be as large as the per-file weights limit, so the bound is four
 * networks at that limit, three times over (12 ×): any run whose networks load can save and --continue (a unet_256
 * with --ngf 128 is ~870 MB a generator). Raised with the weights limit.
 */
export function maxRunStateBytes(): number {
  return 12 * maxWeightBytes();
}

/**
 * Largest image file read whole before decoding: 16 bytes a pixel (float32 RGBA TIFF, the widest layout
 * sharp decodes) at the pixel limit, plus 16 MB for metadata (EXIF, ICC profiles, thumbnails).
 */
export function maxImageFileBytes(): number {
  return maxImagePixels() * 16 + 16 * 1024 * 1024;
}

/** FID statistics (.npz): 2048-dimension float64 statistics (pytorch-fid's) take 32 MB; room for 4x that. */
export const MAX_FID_STATS_BYTES = 128 * 1024 * 1024;

/** IDX archives of the built-in datasets: MNIST's largest file is 47 MB uncompressed. */
export const MAX_IDX_BYTES = 256 * 1024 * 1024;

/**
 * The JSON files of a run folder and a dataset folder (opt.json, state/LATEST, train_state.json, the run lock, the
 * report's samples.json, dataset.json): ours are a few KB; anything near this is not one of them.
 */
export const MAX_RUN_JSON_BYTES = 16 * 1024 * 1024;

/**
 * A run's loss_log.jsonl, read whole when training continues and by serve's dashboard: a line is about 300 bytes,
 * so this is some 900,000 logged steps, and stays under the longest string V8 makes (about 512 M characters).
 */
export const MAX_LOSS_LOG_BYTES = 256 * 1024 * 1024;

/** A results page (`cyclegan test`'s index.html), read whole to put eval's metric lines at its top: ~500 bytes an image. */
export const MAX_RESULTS_PAGE_BYTES = 256 * 1024 * 1024;

/**
 * An official dataset archive, read whole to check and extract it (the official archives are a few hundred MB).
 */
export function maxDatasetZipBytes(): number {
  return Math.floor(envNumber('CYCLEGAN_MAX_ZIP_MB', 2048) * 1024 * 1024);
}

/** What the dataset archive limit's message says to raise it (the variable maxDatasetZipBytes reads). */
export const ZIP_LIMIT_HINT = 'set CYCLEGAN_MAX_ZIP_MB to raise it';

/**
 * How much larger the tensors may be than the bytes stored for them (after inflating). Every float32
 * element normally has its own 2-8 bytes in the file; only views that repeat storage (stride 0, many
 * tensors over one storage) exceed 4×, and those are how a tiny file claims gigabytes.
 */
export const MAX_MATERIALIZE_RATIO = 4;
/** Below this many bytes no ratio check applies (tiny state dicts, tests). */
export const RATIO_FREE_BYTES = 16 * 1024 * 1024;

/**
 * Deflate can expand ~1000×; real weights barely compress (torch.save even stores them uncompressed).
 * A zip entry claiming more than this ratio (above RATIO_FREE_BYTES) is refused before it is inflated.
 */
export function maxInflateRatio(): number {
  return envNumber('CYCLEGAN_MAX_INFLATE_RATIO', 50);
}

/** safetensors: the reference implementation caps the JSON header at 100 MB; ours are a few KB. */
export const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

/** Upper bounds of architecture numbers, from a flag or from a model file's metadata. */
export const ARCH_BOUNDS = {
  channels: 64, // input_nc / output_nc
  width: 1024, // ngf / ndf (official default 64)
  nLayersD: 10,
} as const;

interface NumberBound {
  min: number;
  max: number;
  integer: boolean;
  why?: string;
}

/**
 * Bounds for numeric flags that size memory, by flag name: the same meaning in every command that has the
 * flag, so args.ts checks them for every command at parse time.
 */
export const FLAG_BOUNDS: Record<string, NumberBound> = {
  ngf: { min: 1, max: ARCH_BOUNDS.width, integer: true },
  ndf: { min: 1, max: ARCH_BOUNDS.width, integer: true },
  'n-layers-d': { min: 1, max: ARCH_BOUNDS.nLayersD, integer: true },
  'input-nc': { min: 1, max: ARCH_BOUNDS.channels, integer: true },
  'output-nc': { min: 1, max: ARCH_BOUNDS.channels, integer: true },
  'load-size': { min: 1, max: 4096, integer: true },
  'crop-size': { min: 1, max: 4096, integer: true },
  size: { min: 1, max: 4096, integer: true },
  'batch-size': { min: 1, max: 256, integer: true },
  'fid-batch-size': { min: 1, max: 256, integer: true }, // eval --metrics fid's name for fid's --batch-size
  'num-test': { min: 1, max: 1e9, integer: true },
  'num-threads': { min: 0, max: 1024, integer: true },
};

/** --direction's values (declared here, where every command's flag check looks them up). */
export const DIRECTIONS = ['AtoB', 'BtoA'] as const;

/** Choices for string flags with one meaning across commands. */
export const FLAG_CHOICES: Record<string, readonly string[]> = {
  direction: DIRECTIONS,
};

/** Throws a CycleGANError naming the flag when `value` is outside its bound (no-op for unbounded flags). */
export function checkFlagValue(flag: string, value: number | string): void {
  const key = flag.toLowerCase();
  if (typeof value === 'number') {
    const b = FLAG_BOUNDS[key];
    if (!b) return;
    if (b.integer && !Number.isInteger(value)) throw new CycleGANError(`--${flag} must be a whole number, got ${value}`);
    if (value < b.min || value > b.max) {
      throw new CycleGANError(`--${flag} must be between ${b.min} and ${b.max}, got ${value}`);
    }
    return;
  }
  const choices = FLAG_CHOICES[key];
  if (choices && !choices.includes(value)) {
    const list = choices.length === 2 ? choices.join(' or ') : `one of ${choices.join(', ')}`;
    throw new CycleGANError(`--${flag} must be ${list}, got '${value}'`);
  }
}

/** A decimal number as a user types it: no hex/octal/binary, no Infinity, no empty string. */
export function parseDecimal(text: string): number | undefined {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
