// `cyclegan serve`: a small HTTP server for the in-browser translator and the run dashboard.
// Safety model: a fixed table of routes. No request path is ever joined onto a directory; the only
// name taken from a URL (a sample image) must match a strict pattern AND be in the folder's listing.
import * as http from 'node:http';
import { lookup as dnsLookup } from 'node:dns/promises';
import * as path from 'node:path';
import { createReadStream, promises as fsp } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CycleGANError } from '../core/errors.js';
import { validateSpec, type NetworkSpec } from '../core/networks/spec.js';
import { checkModelPath } from '../weights/network_file.js';
import { parseSafetensorsHeader } from '../core/weights/safetensors.js';
import { MAX_SAFETENSORS_HEADER } from '../core/limits.js';
import { LOSS_NAMES, VISUAL_NAMES } from '../core/model_names.js';
import { netFile, parseSampleImageFile, runPaths, type RunPaths } from '../train/run_folder.js';
import { INDEX_HTML, STYLE_CSS } from './assets.js';
import { bundlePage, wasmDistDir, WASM_FILES, type PageBundle } from './bundle.js';

export interface ServeOptions {
  /** one generator file (.safetensors) */
  modelPath?: string;
  /** a run: CHECKPOINTS_DIR/NAME */
  checkpointsDir?: string;
  name?: string;
  host?: string;
  /** 0 picks a free port */
  port?: number;
  /** the largest image file the page accepts */
  maxUploadBytes?: number;
  /** the largest image (width × height) the page accepts */
  maxPixels?: number;
  /** a bundle built earlier (tests share one); otherwise the page is bundled at start */
  bundle?: PageBundle;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

interface ModelEntry {
  id: string;
  label: string;
  file: string;
}

const SAMPLE_ORDER: readonly string[] = VISUAL_NAMES;
const SAMPLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}\.(png|jpg|jpeg)$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // 'wasm-unsafe-eval' lets the wasm backend compile its module; nothing is loaded from other origins.
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
    "img-src 'self' blob: data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

/** Reads the architecture from a safetensors header (validated by the one safetensors parser) without reading the weights. */
export async function readModelSpec(file: string): Promise<Record<string, unknown>> {
  let fh;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    throw new CycleGANError(`cannot read model file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 8));
    await fh.read(head, 0, head.length, 0);
    // read the length prefix and the header only (a length out of range is reported by the parser)
    const len = head.length === 8 ? Number(head.readBigUInt64LE(0)) : 0;
    const buf = Buffer.alloc(Math.min(size, 8 + Math.min(len, MAX_SAFETENSORS_HEADER)));
    await fh.read(buf, 0, buf.length, 0);
    const { metadata } = parseSafetensorsHeader(buf, file, size);
    const specJson = metadata['cyclegan.spec'];
    if (!specJson) throw new CycleGANError(`${file} has no architecture in its metadata; convert it with 'cyclegan import-torch'`);
    let spec: unknown;
    try {
      spec = JSON.parse(specJson);
    } catch {
      throw new CycleGANError(`${file}: its architecture metadata is not valid JSON`);
    }
    const problem = validateSpec(spec as NetworkSpec);
    if (problem) throw new CycleGANError(`${file}: bad architecture metadata: ${problem}`);
    return spec as Record<string, unknown>;
  } finally {
    await fh.close();
  }
}

/** Normalizes one loss_log.jsonl record (the workflow's {epoch, epochIter, x, losses} or flat {epoch, iter, D_A…}). */
export function normalizeLossRecord(r: Record<string, unknown>, index: number): { x: number; epoch: number; iter: number; losses: Record<string, number> } | null {
  if (!r || typeof r !== 'object') return null;
  const src = (r.losses && typeof r.losses === 'object' ? r.losses : r) as Record<string, unknown>;
  const losses: Record<string, number> = {};
  for (const n of LOSS_NAMES) if (typeof src[n] === 'number') losses[n] = src[n] as number;
  if (Object.keys(losses).length === 0) return null;
  const epoch = typeof r.epoch === 'number' ? r.epoch : 0;
  const iter = typeof r.iter === 'number' ? r.iter : typeof r.epochIter === 'number' ? r.epochIter : index;
  const x = typeof r.x === 'number' ? r.x : epoch > 0 ? epoch : index;
  return { x, epoch, iter, losses };
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  // '' would bind every interface while printing an empty address; make a public bind explicit (0.0.0.0).
  if (host.trim() === '') throw new CycleGANError("--host '' is not an address; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)");
  // A host name that does not resolve is reported now, before the page is bundled.
  await dnsLookup(host).catch((e: NodeJS.ErrnoException) => {
    throw new CycleGANError(`--host ${host}: no such host name or address (${e.code ?? e.message}); use e.g. 127.0.0.1 or 0.0.0.0`);
  });
  const maxUploadBytes = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const log = opts.log ?? (() => {});

  let models: () => Promise<ModelEntry[]>;
  let runRoot: string | undefined;
  let run: RunPaths | undefined;
  if (opts.modelPath) {
    if (opts.checkpointsDir || opts.name) throw new CycleGANError('use either --model or --checkpoints-dir/--name, not both');
    const file = path.resolve(opts.modelPath);
    // The whole file is validated (header, architecture bounds, tensor shapes) before the page may fetch it.
    const spec = await checkModelPath(file) as unknown as Record<string, unknown>;
    if (spec.role !== 'generator') throw new CycleGANError(`${opts.modelPath} is a ${String(spec.role)}, not a generator; serve a G_A or G_B file`);
    const entry = { id: 'model', label: path.basename(file), file };
    models = async () => [entry];
  } else if (opts.name) {
    run = runPaths(path.resolve(opts.checkpointsDir ?? './checkpoints'), opts.name);
    runRoot = run.root;
    const st = await fsp.stat(runRoot).catch(() => null);
    if (!st?.isDirectory()) throw new CycleGANError(`no run folder ${runRoot} (check --checkpoints-dir and --name)`);
    const root = runRoot;
    // Generators appear once training saved its first checkpoint, so they are looked up on each request.
    models = async () => {
      const out: ModelEntry[] = [];
      for (const [id, label] of [['G_A', 'A → B (latest G_A)'], ['G_B', 'B → A (latest G_B)']]) {
        const file = netFile(root, 'latest', id as 'G_A' | 'G_B');
        if ((await fsp.stat(file).catch(() => null))?.isFile()) out.push({ id, label, file });
      }
      return out;
    };
  } else {
    throw new CycleGANError('serve needs --model MODEL.safetensors, or --checkpoints-dir DIR --name NAME');
  }

  const bundle = opts.bundle ?? (await bundlePage());
  log(`web page bundled (${(bundle.js.length / 1e6).toFixed(1)} MB, ${bundle.buildMs} ms)`);
  const wasmDir = wasmDistDir();

  const send = (res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };
  const notFound = (res: http.ServerResponse) => send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  const json = (res: http.ServerResponse, value: unknown) =>
    send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value), { 'Cache-Control': 'no-store' });

  const sendFile = async (res: http.ServerResponse, file: string, type: string, cache = 'no-cache') => {
    const st = await fsp.stat(file).catch(() => null);
    if (!st?.isFile()) return notFound(res);
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(st.size), 'Cache-Control': cache });
    if (res.req.method === 'HEAD') return void res.end();
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const modelInfo = async () =>
    Promise.all((await models()).map(async (m) => {
      const st = await fsp.stat(m.file);
      const spec = await readModelSpec(m.file);
      return { id: m.id, label: m.label, url: `/models/${m.id}.safetensors`, bytes: st.size, version: `${st.size}-${st.mtimeMs}`, spec };
    }));

  const sampleFiles = async (): Promise<{ epoch: number | null; images: Array<{ label: string; url: string }> }> => {
    const dir = run!.webImages;
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    const byEpoch = new Map<number, Array<{ label: string; name: string }>>();
    for (const name of names) {
      const m = parseSampleImageFile(name);
      if (!m || !SAMPLE_NAME.test(name)) continue;
      byEpoch.set(m.epoch, [...(byEpoch.get(m.epoch) ?? []), { label: m.visual, name }]);
    }
    if (byEpoch.size === 0) return { epoch: null, images: [] };
    const epoch = Math.max(...byEpoch.keys());
    const rank = (l: string) => (SAMPLE_ORDER.indexOf(l) + 100) % 100;
    const list = byEpoch.get(epoch)!.sort((a, b) => rank(a.label) - rank(b.label) || a.label.localeCompare(b.label));
    const images = await Promise.all(list.map(async ({ label, name }) => {
      const st = await fsp.stat(path.join(dir, name)).catch(() => null);
      return { label, url: `/samples/${name}?v=${st ? Math.round(st.mtimeMs) : 0}` };
    }));
    return { epoch, images };
  };

  const losses = async (from: number) => {
    let text = '';
    try {
      text = await fsp.readFile(run!.lossLog, 'utf8');
    } catch {
      // no log yet
    }
    const entries = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = normalizeLossRecord(JSON.parse(line), entries.length);
        if (r) entries.push(r);
      } catch {
        // a line being appended right now
      }
    }
    return { total: entries.length, entries: entries.slice(Math.max(0, from)) };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      // Nothing is uploaded: images are read by the page itself and never leave the browser.
      req.resume();
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    if (Number(req.headers['content-length'] ?? 0) > 0) return send(res, 413, 'text/plain; charset=utf-8', 'no request bodies\n');
    // DNS-rebinding guard: a page on another site must not reach a loopback server through its own name.
    if (LOOPBACK_HOSTS.has(host)) {
      const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!LOOPBACK_HOSTS.has(hostHeader)) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden host\n');
    }
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q >= 0 ? raw.slice(0, q) : raw;
    const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    // Our routes never need escapes, dot segments or backslashes; refusing them outright closes every
    // encoding trick (%2e%2e, %2f, %252e, %5c, overlong UTF-8) before any routing happens.
    if (!/^\/[A-Za-z0-9_.\/-]*$/.test(pathname) || pathname.includes('..') || pathname.includes('//')) return notFound(res);

    switch (pathname) {
      case '/':
      case '/index.html':
        return send(res, 200, 'text/html; charset=utf-8', INDEX_HTML, { 'Cache-Control': 'no-cache' });
      case '/style.css':
        return send(res, 200, 'text/css; charset=utf-8', STYLE_CSS, { 'Cache-Control': 'no-cache' });
      case '/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', bundle.js, { 'Cache-Control': 'no-cache' });
      case '/favicon.ico':
        return send(res, 204, 'image/x-icon', '');
      case '/api/config':
        return json(res, {
          mode: runRoot ? 'run' : 'model',
          models: await modelInfo(),
          maxUploadBytes,
          maxPixels,
          run: runRoot ? { name: path.basename(runRoot) } : undefined,
        });
    }
    if (pathname.startsWith('/wasm/')) {
      const name = pathname.slice('/wasm/'.length);
      if (!(WASM_FILES as readonly string[]).includes(name)) return notFound(res);
      return sendFile(res, path.join(wasmDir, name), 'application/wasm', 'max-age=3600');
    }
    if (pathname.startsWith('/models/')) {
      const id = pathname.slice('/models/'.length).replace(/\.safetensors$/, '');
      const m = (await models()).find((e) => `/models/${e.id}.safetensors` === pathname && e.id === id);
      return m ? sendFile(res, m.file, 'application/octet-stream') : notFound(res);
    }
    if (runRoot && pathname === '/api/losses') return json(res, await losses(Number(query.get('from') ?? 0) || 0));
    if (runRoot && pathname === '/api/samples') return json(res, await sampleFiles());
    if (runRoot && pathname.startsWith('/samples/')) {
      const name = pathname.slice('/samples/'.length);
      const dir = run!.webImages;
      if (!SAMPLE_NAME.test(name)) return notFound(res);
      const listing = await fsp.readdir(dir).catch(() => [] as string[]);
      if (!listing.includes(name)) return notFound(res);
      // a symlink placed in the images folder must not lead elsewhere
      if (!(await fsp.lstat(path.join(dir, name)).catch(() => null))?.isFile()) return notFound(res);
      return sendFile(res, path.join(dir, name), name.endsWith('.png') ? 'image/png' : 'image/jpeg');
    }
    return notFound(res);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`serve: ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new CycleGANError(`port ${opts.port} on ${host} is in use; pick another with --port`) :
        e.code === 'EADDRNOTAVAIL' ? new CycleGANError(`cannot bind to ${host}: no such address on this machine (check --host)`) :
        e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? new CycleGANError(`--host ${host}: no such host name (use an address such as 127.0.0.1 or 0.0.0.0)`) :
        e.code === 'EACCES' ? new CycleGANError(`no permission to listen on port ${opts.port} of ${host}; use a --port above 1023`) : e));
    server.listen(opts.port ?? 8080, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    host,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
