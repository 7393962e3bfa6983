// One writer per run folder: `train` holds CHECKPOINTS/NAME/train.lock (PID and host, created with O_EXCL,
// so exactly one of two racing trainers gets it) for as long as it writes there. A lock left by a process
// that died on this host is taken over with a note; a lock from another host (a shared filesystem) or from
// a live process is a refusal naming both. `test`, `serve` and `translate` only read and never lock.
import { promises as fsp, constants as fsc } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { readFileIfExists } from '../read_file.js';
import { MAX_RUN_JSON_BYTES } from '../core/limits.js';

export const LOCK_NAME = 'train.lock';

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

export interface RunLock {
  readonly path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function readLock(file: string): Promise<{ text: string; info: LockInfo | undefined } | undefined> {
  const bytes = await readFileIfExists(file, { what: 'run lock', maxBytes: MAX_RUN_JSON_BYTES });
  if (!bytes) return undefined;
  const text = bytes.toString('utf8');
  try {
    const info = JSON.parse(text) as LockInfo;
    if (Number.isInteger(info.pid) && typeof info.host === 'string') return { text, info };
  } catch {
    // torn or foreign content: treated below
  }
  return { text, info: undefined };
}

/** Takes the run folder's lock or throws a CycleGANError saying who holds it. `note` reports a takeover. */
export async function acquireRunLock(root: string, note: (line: string) => void = (l) => console.error(l)): Promise<RunLock> {
  await fsp.mkdir(root, { recursive: true });
  const file = path.join(root, LOCK_NAME);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await fsp.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
      try {
        await fh.writeFile(JSON.stringify(me) + '\n');
      } finally {
        await fh.close();
      }
      let released = false;
      return {
        path: file,
        release: async () => {
          if (released) return;
          released = true;
          const cur = await readLock(file).catch(() => undefined);
          if (cur?.info?.pid === me.pid && cur.info.host === me.host) await fsp.rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = await readLock(file);
    if (!held) continue; // released meanwhile: try again
    const { info } = held;
    if (info && info.host !== me.host) {
      throw new CycleGANError(`${root} is being trained by process ${info.pid} on ${info.host} (since ${info.started}); ` +
        `wait for it, or delete ${file} if that run is gone`);
    }
    if (info && alive(info.pid) && info.pid !== process.pid) {
      throw new CycleGANError(`${root} is being trained by process ${info.pid} (since ${info.started}); ` +
        'one run folder takes one trainer: wait for it to finish, stop it, or choose another --name');
    }
    if (!info) {
      // A lock without our JSON: a crash between create and write leaves an empty file, anything older than a
      // minute is taken as that; a fresh one may be a trainer that is writing it right now.
      const st = await fsp.stat(file).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs < 60_000) {
        throw new CycleGANError(`${root} is locked by ${file}, which is being written; try again in a minute`);
      }
    }
    // Stale: its process is gone. Remove it only if it is still the same file we judged (narrows the race
    // with another trainer taking it over at the same moment; O_EXCL then decides).
    const again = await readLock(file);
    if (again && again.text === held.text) {
      await fsp.rm(file, { force: true });
      note(`note: took over the lock of ${root} from process ${info?.pid ?? '?'}, which is no longer running`);
    }
  }
  throw new CycleGANError(`cannot take the lock ${file}; another trainer keeps taking it`);
}
