// Atomic file writes, shared by every module that writes user files: write a temp file beside the target,
// fsync it, then rename over the target, so a reader (or a crash) only ever sees the old file or the whole new one.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/** A temp path in the same directory as `target` (rename is only atomic within one filesystem). */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${Date.now().toString(36)}.${(counter++).toString(36)}.tmp`);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const fh = await fsp.open(tmp, 'w').catch((e) => { throw namingTarget(e, tmp, target); });
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw namingTarget(e, tmp, target);
  }
  await fh.close();
  try {
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** A failed write names the file the user asked for, not our hidden temp file beside it. */
function namingTarget(e: unknown, tmp: string, target: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && (err.path === tmp || err.path === undefined) && err.code) err.path = target;
  return e;
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/** Removes temp files left by an earlier crash (names made by tempPathFor). */
export async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.startsWith('.') && n.endsWith('.tmp')).map((n) => fsp.rm(path.join(dir, n), { force: true })));
}
