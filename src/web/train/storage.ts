// Where the training page keeps a run between visits: the browser's Origin Private File System, or IndexedDB
// where a browser has no OPFS (the same files, one record each). A run is its
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

/**
 * A one-line message for a failed write: a full quota says so and what is kept. `overQuota`: the Storage API says
 * the bytes do not fit (Chromium does not always fail such an OPFS write with QuotaExceededError: it has been seen
 * to reject it with a NotReadableError instead).
 */
export function describeStorageError(e: unknown, what: 'the checkpoint' | 'the training images', overQuota = false): string {
  const name = (e as { name?: string })?.name;
  const then = what === 'the checkpoint' ? 'then pause to save again' : 'then start the run again: this one trains but cannot be resumed after a reload';
  if (name === 'QuotaExceededError' || overQuota) {
    return `the browser's storage quota for this page is full, so ${what} could not be saved; the previous checkpoint is kept ` +
      `(free space or allow this site more storage, ${then})`;
  }
  return `${what} could not be saved (${(e as Error)?.message ?? String(e)}); the previous checkpoint is kept (${then})`;
}

/** Whether `bytes` more would exceed this origin's storage quota, as the Storage API estimates it (false when it cannot say). */
async function wouldExceedQuota(bytes: number): Promise<boolean> {
  try {
    const { usage, quota } = await navigator.storage.estimate();
    return usage !== undefined && quota !== undefined && usage + bytes > quota;
  } catch {
    return false;
  }
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

/** Where the files live: a folder of the Origin Private File System, or (browsers without it) an IndexedDB store. */
interface FileArea {
  /** replaces the file whole, or fails leaving the old content (a write that fails part-way is the caller's to remove) */
  write(name: string, bytes: Uint8Array | string): Promise<void>;
  /** the file's bytes; rejects when there is no such file */
  read(name: string): Promise<Uint8Array>;
  has(name: string): Promise<boolean>;
  remove(name: string): Promise<void>;
  names(): Promise<string[]>;
}

class OpfsArea implements FileArea {
  constructor(private readonly dir: FileSystemDirectoryHandle) {}

  async write(name: string, bytes: Uint8Array | string): Promise<void> {
    const handle = await this.dir.getFileHandle(name, { create: true });
    let writable: FileSystemWritableFileStream | undefined;
    try {
      // the stream writes a swap file; close() replaces the file with it whole
      writable = await handle.createWritable();
      await writable.write(typeof bytes === 'string' ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>]));
      await writable.close();
    } catch (e) {
      await writable?.abort().catch(() => {});
      throw e;
    }
  }

  async read(name: string): Promise<Uint8Array> {
    const file = await (await this.dir.getFileHandle(name)).getFile();
    return new Uint8Array(await file.arrayBuffer());
  }

  async has(name: string): Promise<boolean> {
    return this.dir.getFileHandle(name).then(() => true, () => false);
  }

  async remove(name: string): Promise<void> {
    await this.dir.removeEntry(name).catch(() => {});
  }

  async names(): Promise<string[]> {
    const out: string[] = [];
    for await (const name of (this.dir as unknown as { keys(): AsyncIterable<string> }).keys()) out.push(name);
    return out;
  }
}

/** One object store, a file per key; each put is its own transaction, so it lands whole or not at all. */
class IdbArea implements FileArea {
  private constructor(private readonly db: IDBDatabase) {}

  static open(): Promise<IdbArea> {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DIR, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('files');
      req.onsuccess = () => resolve(new IdbArea(req.result));
      req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
    });
  }

  private run<T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction('files', mode);
      const req = op(tx.objectStore('files'));
      // resolved when the transaction is committed (a full quota aborts it: QuotaExceededError)
      tx.oncomplete = () => resolve(req.result);
      tx.onabort = () => reject(tx.error ?? req.error ?? new Error('the IndexedDB transaction was aborted'));
      tx.onerror = () => reject(tx.error ?? req.error ?? new Error('the IndexedDB transaction failed'));
    });
  }

  async write(name: string, bytes: Uint8Array | string): Promise<void> {
    await this.run('readwrite', (s) => s.put(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes, name));
  }

  async read(name: string): Promise<Uint8Array> {
    const v = await this.run('readonly', (s) => s.get(name) as IDBRequest<Uint8Array | undefined>);
    if (!v) throw new Error(`${name} is not stored`);
    return v;
  }

  async has(name: string): Promise<boolean> {
    return (await this.run('readonly', (s) => s.count(name))) > 0;
  }

  async remove(name: string): Promise<void> {
    await this.run('readwrite', (s) => s.delete(name)).catch(() => {});
  }

  async names(): Promise<string[]> {
    return (await this.run('readonly', (s) => s.getAllKeys())).map(String);
  }
}

export class RunStore {
  private constructor(private readonly area: FileArea, readonly kind: 'opfs' | 'indexeddb') {}

  /**
   * The store: the Origin Private File System, else IndexedDB (or IndexedDB when `prefer` asks for it: ?storage=indexeddb);
   * with the reason when the browser gives the page neither (then training works but nothing survives a reload).
   */
  static async open(prefer: 'opfs' | 'indexeddb' | null = null): Promise<RunStore | { unavailable: string }> {
    let opfsWhy = 'not tried';
    if (prefer !== 'indexeddb') {
      try {
        const root = await navigator.storage.getDirectory();
        return new RunStore(new OpfsArea(await root.getDirectoryHandle(DIR, { create: true })), 'opfs');
      } catch (e) {
        opfsWhy = (e as Error).message;
      }
    }
    try {
      return new RunStore(await IdbArea.open(), 'indexeddb');
    } catch (e) {
      return { unavailable: `this browser gives the page neither an Origin Private File System (${opfsWhy}) nor IndexedDB (${(e as Error).message}); training works, but nothing survives a reload` };
    }
  }

  /** The saved run's pointer, or null. A pointer naming missing files counts as no run. */
  async saved(): Promise<SavedRun | null> {
    let run: SavedRun;
    try {
      run = JSON.parse(new TextDecoder().decode(await this.area.read(POINTER))) as SavedRun;
    } catch {
      return null;
    }
    for (const f of [run.dataFile, run.stateFile]) if (!(await this.area.has(f))) return null;
    return run;
  }

  /** Stores a new run's images (before its first state is saved; the pointer still names the old run, if any). */
  async saveData(runId: string, packed: Uint8Array): Promise<string> {
    const name = `data-${runId}.bin`;
    try {
      await this.area.write(name, packed);
    } catch (e) {
      await this.area.remove(name);
      throw new StorageError(describeStorageError(e, 'the training images', await wouldExceedQuota(packed.length)));
    }
    return name;
  }

  /** Atomically replaces the saved state: new file, then the pointer, then the old files go. */
  async saveState(run: Omit<SavedRun, 'stateFile' | 'savedAt'>, state: Uint8Array): Promise<SavedRun> {
    const prev = await this.saved();
    const stateFile = `state-${run.runId}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.bin`;
    const next: SavedRun = { ...run, stateFile, savedAt: new Date().toISOString() };
    try {
      await this.area.write(stateFile, state);
      await this.area.write(POINTER, JSON.stringify(next));
    } catch (e) {
      await this.area.remove(stateFile);
      throw new StorageError(describeStorageError(e, 'the checkpoint', await wouldExceedQuota(state.length)));
    }
    if (prev && prev.stateFile !== stateFile) await this.area.remove(prev.stateFile);
    if (prev && prev.dataFile !== run.dataFile) await this.area.remove(prev.dataFile);
    await this.removeStray(next);
    return next;
  }

  async loadState(run: SavedRun): Promise<Uint8Array> {
    return this.area.read(run.stateFile);
  }

  async loadData(run: SavedRun): Promise<Uint8Array> {
    return this.area.read(run.dataFile);
  }

  /** Files no pointer names (left by a tab closed mid-write). */
  private async removeStray(keep: SavedRun | null): Promise<void> {
    for (const n of await this.area.names()) {
      if (n === POINTER || n === keep?.stateFile || n === keep?.dataFile) continue;
      if (n.startsWith('state-') || (n.startsWith('data-') && !n.includes(keep?.runId ?? '\0'))) await this.area.remove(n);
    }
  }

  /** Forgets the saved run (a new run replaces it only when its first checkpoint is written). */
  async clear(): Promise<void> {
    await this.area.remove(POINTER);
    await this.removeStray(null);
  }
}
