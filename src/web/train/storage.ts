// Where the training page keeps a run between visits: the browser's Origin Private File System. A run is its
// images (the files as picked, so a reload decodes exactly the same pixels) and its newest training state
// (TrainEngine.serialize). Every save is atomic: the new state goes to a new file, and only once that file is
// complete does the pointer (run.json, itself replaced whole by the writable stream's close) name it; then the
// previous state file is removed. A failed write (a full quota) removes the partial file and leaves the pointer
// and the previous state as they were.

const DIR = 'cyclegan-train';
const POINTER = 'run.json';

/** What the pointer file says about the saved run (also shown by the page before it is resumed). */
export interface SavedRun {
  runId: string;
  dataFile: string;
  stateFile: string;
  savedAt: string;
  totalIters: number;
  epoch: number;
  lastEpoch: number;
  /** images per epoch */
  size: number;
  backend: string;
  /** the caller's summary of the settings (shown on the page) */
  summary: string;
}

export class StorageError extends Error {}

/** A one-line message for a failed write: a full quota says so and what is kept. */
export function describeStorageError(e: unknown, what: 'the checkpoint' | 'the training images'): string {
  const name = (e as { name?: string })?.name;
  const then = what === 'the checkpoint' ? 'then pause to save again' : 'then start the run again: this one trains but cannot be resumed after a reload';
  if (name === 'QuotaExceededError') {
    return `the browser's storage quota for this page is full, so ${what} could not be saved; the previous checkpoint is kept ` +
      `(free space or allow this site more storage, ${then})`;
  }
  return `${what} could not be saved (${(e as Error)?.message ?? String(e)}); the previous checkpoint is kept (${then})`;
}

interface PackedFile { name: string; bytes: Uint8Array }

/** The picked files of both domains in one buffer: a JSON index, then the bytes. */
export function packFiles(domains: { A: PackedFile[]; B: PackedFile[] }): Uint8Array {
  const index = { A: domains.A.map((f) => ({ name: f.name, length: f.bytes.length })), B: domains.B.map((f) => ({ name: f.name, length: f.bytes.length })) };
  const head = new TextEncoder().encode(JSON.stringify(index));
  let total = 8 + head.length;
  for (const f of [...domains.A, ...domains.B]) total += f.bytes.length;
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 8);
  let o = 8 + head.length;
  for (const f of [...domains.A, ...domains.B]) {
    out.set(f.bytes, o);
    o += f.bytes.length;
  }
  return out;
}

export function unpackFiles(buf: Uint8Array): { A: PackedFile[]; B: PackedFile[] } {
  const n = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(0, true);
  if (8 + n > buf.length) throw new StorageError('the saved images are damaged (index past the end)');
  const index = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n))) as { A: Array<{ name: string; length: number }>; B: Array<{ name: string; length: number }> };
  let o = 8 + n;
  const take = (list: Array<{ name: string; length: number }>) => list.map((f) => {
    if (o + f.length > buf.length) throw new StorageError('the saved images are damaged (truncated)');
    const bytes = buf.subarray(o, o + f.length);
    o += f.length;
    return { name: f.name, bytes };
  });
  const A = take(index.A);
  const B = take(index.B);
  return { A, B };
}

export class RunStore {
  private constructor(private readonly dir: FileSystemDirectoryHandle) {}

  /** The store, or null with the reason when this browser has no Origin Private File System. */
  static async open(): Promise<RunStore | { unavailable: string }> {
    try {
      const root = await navigator.storage.getDirectory();
      return new RunStore(await root.getDirectoryHandle(DIR, { create: true }));
    } catch (e) {
      return { unavailable: `this browser gives the page no Origin Private File System (${(e as Error).message}); training works, but nothing survives a reload` };
    }
  }

  private async write(name: string, bytes: Uint8Array | string): Promise<void> {
    const handle = await this.dir.getFileHandle(name, { create: true });
    let writable: FileSystemWritableFileStream | undefined;
    try {
      writable = await handle.createWritable();
      await writable.write(typeof bytes === 'string' ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>]));
      await writable.close();
    } catch (e) {
      await writable?.abort().catch(() => {});
      throw e;
    }
  }

  private async read(name: string): Promise<Uint8Array> {
    const file = await (await this.dir.getFileHandle(name)).getFile();
    return new Uint8Array(await file.arrayBuffer());
  }

  private async remove(name: string): Promise<void> {
    await this.dir.removeEntry(name).catch(() => {});
  }

  /** The saved run's pointer, or null. A pointer naming missing files counts as no run. */
  async saved(): Promise<SavedRun | null> {
    let run: SavedRun;
    try {
      run = JSON.parse(new TextDecoder().decode(await this.read(POINTER))) as SavedRun;
    } catch {
      return null;
    }
    for (const f of [run.dataFile, run.stateFile]) {
      try {
        await this.dir.getFileHandle(f);
      } catch {
        return null;
      }
    }
    return run;
  }

  /** Stores a new run's images (before its first state is saved; the pointer still names the old run, if any). */
  async saveData(runId: string, packed: Uint8Array): Promise<string> {
    const name = `data-${runId}.bin`;
    try {
      await this.write(name, packed);
    } catch (e) {
      await this.remove(name);
      throw new StorageError(describeStorageError(e, 'the training images'));
    }
    return name;
  }

  /** Atomically replaces the saved state: new file, then the pointer, then the old files go. */
  async saveState(run: Omit<SavedRun, 'stateFile' | 'savedAt'>, state: Uint8Array): Promise<SavedRun> {
    const prev = await this.saved();
    const stateFile = `state-${run.runId}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.bin`;
    const next: SavedRun = { ...run, stateFile, savedAt: new Date().toISOString() };
    try {
      await this.write(stateFile, state);
      await this.write(POINTER, JSON.stringify(next));
    } catch (e) {
      await this.remove(stateFile);
      throw new StorageError(describeStorageError(e, 'the checkpoint'));
    }
    if (prev && prev.stateFile !== stateFile) await this.remove(prev.stateFile);
    if (prev && prev.dataFile !== run.dataFile) await this.remove(prev.dataFile);
    await this.removeStray(next);
    return next;
  }

  async loadState(run: SavedRun): Promise<Uint8Array> {
    return this.read(run.stateFile);
  }

  async loadData(run: SavedRun): Promise<Uint8Array> {
    return this.read(run.dataFile);
  }

  /** Files no pointer names (left by a tab closed mid-write). */
  private async removeStray(keep: SavedRun | null): Promise<void> {
    const names: string[] = [];
    for await (const name of (this.dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    for (const n of names) {
      if (n === POINTER || n === keep?.stateFile || n === keep?.dataFile) continue;
      if (n.startsWith('state-') || (n.startsWith('data-') && !n.includes(keep?.runId ?? '\0'))) await this.remove(n);
    }
  }

  /** Forgets the saved run (a new run replaces it only when its first checkpoint is written). */
  async clear(): Promise<void> {
    await this.remove(POINTER);
    await this.removeStray(null);
  }
}
