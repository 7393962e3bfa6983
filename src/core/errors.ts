/** An error whose message is meant for the user as it stands: the CLI prints it as one line, no trace. */
export class CycleGANError extends Error {
  readonly userFacing = true;
}

/**
 * Operating-system error codes in words a user acts on, with the fix where one can be named: the one table of them
 * (describeSystemError's lines; src/read_file.ts's reasons a file cannot be read, through systemErrorWords).
 */
const SYSTEM_ERRORS = new Map<string, { words: string; fix?: string }>(Object.entries({
  ENOSPC: { words: 'no space left on the device', fix: 'free some space, then run again (with --continue for train)' },
  EDQUOT: { words: 'disk quota exceeded', fix: 'free some space, then run again' },
  EACCES: { words: 'permission denied', fix: 'choose a folder you can write to, or fix its permissions' },
  EPERM: { words: 'operation not permitted', fix: 'choose a folder you can write to, or fix its permissions' },
  EROFS: { words: 'the filesystem is read-only', fix: 'choose another folder' },
  ENOTDIR: { words: 'a part of the path is a file, not a folder', fix: 'check the path' },
  EISDIR: { words: 'it is a folder, not a file', fix: 'check the path' },
  ENOENT: { words: 'no such file or folder', fix: 'check the path' },
  ELOOP: { words: 'too many symbolic links', fix: 'check the path' },
  EMFILE: { words: 'too many open files', fix: 'raise the limit (ulimit -n) or use fewer workers' },
  ENAMETOOLONG: { words: 'the path is too long' },
  EIO: { words: 'input/output error from the device' },
  ENOTFOUND: { words: 'no such host', fix: 'check --host' },
  EAI_AGAIN: { words: 'the host name could not be looked up (a temporary DNS failure)', fix: 'check --host, or try again' },
  EADDRINUSE: { words: 'the address is already in use', fix: 'choose another --port, or stop the program using it' },
  EADDRNOTAVAIL: { words: 'this machine has no such address', fix: 'check --host' },
}));

/** An operating-system error code in words ('no such file or folder'), or undefined for a code not in the table. */
export function systemErrorWords(code: string): string | undefined {
  return SYSTEM_ERRORS.get(code)?.words;
}

/** The table's fix for an error code ('raise the limit (ulimit -n) or use fewer workers'), or undefined. */
export function systemErrorFix(code: string): string | undefined {
  return SYSTEM_ERRORS.get(code)?.fix;
}

/**
 * One line for an operating-system error (a full disk, a folder that cannot be written, an unknown host),
 * naming the path or host it concerns; undefined for anything else.
 */
export function describeSystemError(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number; dest?: string };
  if (!e || typeof e !== 'object') return undefined;
  if (e instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer/i.test(e.message)) {
    return `ran out of memory (${e.message}); use smaller images, --load-size/--crop-size, --batch-size or network widths`;
  }
  const known = typeof e.code === 'string' ? SYSTEM_ERRORS.get(e.code) : undefined;
  if (!known) return undefined;
  const hint = known.fix ? `${known.words}: ${known.fix}` : known.words;
  const what = e.path ? `${e.path}${e.dest ? ` -> ${e.dest}` : ''}` : e.hostname ?? (e.address ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : e.syscall ?? 'system call');
  return `${what}: ${hint} (${e.code}${e.syscall ? ` in ${e.syscall}` : ''})`;
}
