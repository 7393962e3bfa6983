// HTTP(S) download into a cache: progress, resume with HTTP Range (across retries and across runs, through
// a `.part` file beside the target), a sha256 check against the hash prefix in the file name (torch.hub's
// convention: `name-<hex>.ext`, the hex being the first characters of the file's sha256), and an atomic
// install (fsync, then rename), so the cache only ever holds complete, verified files.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { CycleGANError } from '../core/errors.js';

export interface DownloadOptions {
  /** expected start of the file's sha256 (hex); default: the one in the URL's file name, if any */
  hashPrefix?: string | null;
  onProgress?: (done: number, total: number | undefined) => void;
  /** attempts after an interrupted transfer (each resumes where the last stopped); default 5 */
  retries?: number;
  /** idle timeout per request in ms (default 60 s) */
  timeoutMs?: number;
}

/** torch.hub's HASH_REGEX: the hex run after the last '-' and before the extension. */
export function hashPrefixOf(fileName: string): string | null {
  const m = /-([a-f0-9]+)\.[^-]*$/.exec(fileName);
  return m ? m[1] : null;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

class Interrupted extends Error {}

interface Attempt { status: number; done: boolean }

/** One GET (following redirects), appending to `part` from `from` bytes; resolves when the body ends. */
function getOnce(url: string, part: string, from: number, o: DownloadOptions, redirects = 0): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!mod) return reject(new CycleGANError(`cannot download ${url}: only http and https are supported`));
    const headers: Record<string, string> = { 'user-agent': 'cyclegan-ts' };
    if (from > 0) headers.range = `bytes=${from}-`;
    const req = mod.get(u, { headers }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects >= 5) return reject(new CycleGANError(`cannot download ${url}: too many redirects`));
        getOnce(new URL(res.headers.location, u).toString(), part, from, o, redirects + 1).then(resolve, reject);
        return;
      }
      if (status === 416 && from > 0) {
        res.resume();
        return resolve({ status, done: true }); // the part file already holds everything
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        return reject(new CycleGANError(`cannot download ${url}: HTTP ${status}`));
      }
      let start = 0;
      if (status === 206) {
        const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
        start = m ? Number(m[1]) : -1;
        if (start !== from) {
          res.resume();
          return reject(new Interrupted(`server resumed at byte ${start}, asked ${from}`));
        }
      }
      const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
      const total = length !== undefined ? start + length : undefined;
      let got = 0;
      let fh: fsp.FileHandle | undefined;
      let failed = false;
      let ended = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        res.destroy();
        void (fh?.close().catch(() => {}));
        reject(e);
      };
      // Every listener goes on now, before anything asynchronous: a connection dropped while the part file
      // is still opening must settle this promise too (otherwise nothing is left to wait for, and the
      // process runs out of work and exits 0 in the middle of a download). Chunks queue behind the open.
      // status 200 means the whole file from byte 0: start the part file over
      let chain: Promise<void> = fsp.open(part, start === 0 ? 'w' : 'a').then(
        (h) => { fh = h; },
        (e: NodeJS.ErrnoException) => fail(new CycleGANError(`cannot write ${part} (${e.code ?? e.message})`)));
      res.on('data', (chunk: Buffer) => {
        res.pause();
        chain = chain.then(async () => {
          if (failed || !fh) return;
          await fh.write(chunk);
          got += chunk.length;
          o.onProgress?.(start + got, total);
          if (!failed) res.resume();
        }).catch((e: Error) => fail(e));
      });
      res.on('end', () => {
        ended = true;
        chain = chain.then(async () => {
          if (failed || !fh) return;
          const h = fh;
          await h.sync();
          await h.close();
          fh = undefined;
          if (length !== undefined && got < length) fail(new Interrupted(`connection closed after ${start + got} of ${total} bytes`));
          else resolve({ status, done: true });
        }).catch((e: Error) => fail(e));
      });
      const interrupted = (why: string) => { chain = chain.then(() => fail(new Interrupted(why))); };
      res.on('error', (e) => interrupted(e.message));
      res.on('aborted', () => interrupted('connection aborted'));
      res.on('close', () => { if (!ended) interrupted('connection closed before the end of the body'); });
    });
    req.setTimeout(o.timeoutMs ?? 60_000, () => req.destroy(new Interrupted('no data for too long')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof Interrupted) reject(e);
      else if (['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED'].includes(e.code ?? '')) reject(new Interrupted(e.message));
      else reject(new CycleGANError(`cannot download ${url} (${e.code ?? e.message})`));
    });
  });
}

/**
 * Downloads `url` to `dest` unless `dest` exists. Interrupted transfers resume from the `.part` file (also
 * one left by an earlier run); the finished file must match the hash prefix, else it is deleted and the
 * error says so. Returns `dest`.
 */
export async function downloadFile(url: string, dest: string, o: DownloadOptions = {}): Promise<string> {
  if (await fsp.stat(dest).catch(() => null)) return dest;
  try {
    await fsp.mkdir(path.dirname(dest), { recursive: true });
  } catch (e) {
    throw new CycleGANError(`cannot create ${path.dirname(dest)} (${(e as NodeJS.ErrnoException).code}); set CYCLEGAN_CACHE to a writable folder`);
  }
  const expected = o.hashPrefix === undefined ? hashPrefixOf(path.basename(new URL(url).pathname)) : o.hashPrefix;
  const part = `${dest}.part`;
  const retries = o.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    const from = (await fsp.stat(part).catch(() => null))?.size ?? 0;
    try {
      await getOnce(url, part, from, o);
      break;
    } catch (e) {
      if (!(e instanceof Interrupted) || attempt >= retries) {
        if (e instanceof Interrupted) {
          throw new CycleGANError(`download of ${url} interrupted ${attempt + 1} times (${e.message}); run again to resume from ${part}`);
        }
        throw e;
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5000)));
    }
  }
  if (expected) {
    const digest = await sha256File(part);
    if (!digest.startsWith(expected)) {
      await fsp.rm(part, { force: true });
      throw new CycleGANError(`download of ${url} is corrupt: sha256 ${digest.slice(0, 16)}… does not start with ${expected} (deleted; run again)`);
    }
  }
  await fsp.rename(part, dest);
  return dest;
}
