// Whole-file reads of user files, shared by every module that loads one (model and weights files, images,
// FID statistics, IDX archives, saved browser runs): the counterpart of atomic.ts for reading. A file that is
// missing, unreadable, a folder or larger than its kind can be becomes one line naming it (a CycleGANError),
// and the size is checked on the open handle before any byte is read, so memory stays bounded by the caller's
// limit even for a hostile path (/dev/zero, a FIFO, a 40 GB file, a file growing while it is read).
import { promises as fsp } from 'node:fs';
import { CycleGANError, systemErrorFix, systemErrorWords } from './core/errors.js';
import { MAX_RUN_JSON_BYTES, sizeLimitMessage } from './core/limits.js';

/**
 * The reason an operating-system error gives for not reading a file, in the words of the one table of system errors
 * (core/errors.ts): 'no such file or folder (ENOENT)', 'permission denied (EACCES)'... Only EMFILE also gets the
 * table's fix ('too many open files: raise the limit (ulimit -n) or use fewer workers (EMFILE)'): the other fixes
 * are to check or change the path the message already names, while this one is about the process, not the file.
 */
export function readFailureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const words = code === undefined ? undefined : systemErrorWords(code);
  if (words) return code === 'EMFILE' ? `${words}: ${systemErrorFix(code)} (${code})` : `${words} (${code})`;
  return code ?? (e instanceof Error ? e.message.split('\n')[0] : String(err));
}

export interface ReadFileOptions {
  /** What the file should be, for the message: 'model file', 'PyTorch weights', 'image'... */
  what: string;
  /** Largest size in bytes; a larger file is refused before it is read. */
  maxBytes: number;
  /** How to raise the limit, appended to the size message (e.g. 'set CYCLEGAN_MAX_WEIGHTS_MB to raise it'). */
  limitHint?: string;
  /** The error to throw, given the part after the path ('cannot read image: no such file (ENOENT)'); default: a CycleGANError '<path>: <why>'. */
  error?: (why: string) => Error;
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes, or throws one line '<path>: cannot read <what>: <why>'.
 * Reads what fstat reported and no more: a file that grows meanwhile is read as it was (its parser sees a
 * consistent prefix), one that shrinks is read as it is now.
 */
export async function readFileBounded(path: string, opts: ReadFileOptions): Promise<Buffer> {
  return (await readBounded(path, opts, false))!;
}

/**
 * readFileBounded for a file a folder may or may not hold (a run's opt.json, state/LATEST, loss log, lock and report
 * rows; a dataset's dataset.json): undefined when there is no such file, for the caller's fallback. Any other
 * failure (a folder, no permission, a file over the limit) is the one line naming the file.
 */
export async function readFileIfExists(path: string, opts: ReadFileOptions): Promise<Buffer | undefined> {
  return readBounded(path, opts, true);
}

/**
 * A small JSON file a folder may or may not hold (a run's opt.json and report rows, a dataset's dataset.json), at most
 * MAX_RUN_JSON_BYTES: its value, or undefined when there is no such file or it is not JSON (the caller's fallback).
 * A file that cannot be read is the one line naming it, as readFileIfExists.
 */
export async function readJsonIfExists(path: string, what: string): Promise<unknown> {
  const bytes = await readFileIfExists(path, { what, maxBytes: MAX_RUN_JSON_BYTES });
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

async function readBounded(path: string, opts: ReadFileOptions, missingOk: boolean): Promise<Buffer | undefined> {
  const fail = (reason: string): Error => {
    const why = `cannot read ${opts.what}: ${reason}`;
    return opts.error ? opts.error(why) : new CycleGANError(`${path}: ${why}`);
  };
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    if (missingOk && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fail(readFailureReason(e));
  }
  try {
    let st;
    try {
      st = await fh.stat();
    } catch (e) {
      throw fail(readFailureReason(e));
    }
    if (st.isDirectory()) throw fail(systemErrorWords('EISDIR')!);
    if (!st.isFile()) throw fail('not a regular file (a device, pipe or socket)');
    if (st.size > opts.maxBytes) {
      throw fail(sizeLimitMessage(st.size, opts.maxBytes, opts.limitHint));
    }
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    try {
      while (n < buf.length) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
    } catch (e) {
      throw fail(readFailureReason(e));
    }
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
