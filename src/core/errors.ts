/** An error whose message is meant for the user as it stands: the CLI prints it as one line, no trace. */
export class CycleGANError extends Error {
  readonly userFacing = true;
}

const SYSTEM_HINTS: Record<string, string> = {
  ENOSPC: 'no space left on the device: free some space, then run again (with --continue for train)',
  EDQUOT: 'disk quota exceeded: free some space, then run again',
  EACCES: 'permission denied: choose a folder you can write to, or fix its permissions',
  EPERM: 'operation not permitted: choose a folder you can write to, or fix its permissions',
  EROFS: 'the filesystem is read-only: choose another folder',
  ENOTDIR: 'a part of the path is a file, not a folder: check the path',
  EISDIR: 'it is a folder, not a file: check the path',
  ENOENT: 'no such file or folder: check the path',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or use fewer workers',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'input/output error from the device',
  ENOTFOUND: 'no such host: check --host',
  EADDRINUSE: 'the address is already in use: choose another --port, or stop the program using it',
  EADDRNOTAVAIL: 'this machine has no such address: check --host',
};

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
  const hint = typeof e.code === 'string' ? SYSTEM_HINTS[e.code] : undefined;
  if (!hint) return undefined;
  const what = e.path ? `${e.path}${e.dest ? ` -> ${e.dest}` : ''}` : e.hostname ?? (e.address ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : e.syscall ?? 'system call');
  return `${what}: ${hint} (${e.code}${e.syscall ? ` in ${e.syscall}` : ''})`;
}
