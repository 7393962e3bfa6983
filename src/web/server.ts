// `cyclegan serve`: a small HTTP server for the in-browser translator and the run dashboard.
// Safety model: a fixed table of routes. No request path is ever joined onto a directory; the only
// name taken from a URL (a sample image) must match a strict pattern AND be in the folder's listing.
// The parts: http.ts (responses, request guards, binding), models.ts (what is served to translate with),
// run_data.ts (the dashboard's losses and samples); this file is the route table.
import * as http from 'node:http';
import { lookup as dnsLookup } from 'node:dns/promises';
import * as path from 'node:path';
import { CycleGANError } from '../core/errors.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../core/limits.js';
import { INDEX_HTML, STYLE_CSS } from './assets.js';
import { bundlePage, lazyBundle, wasmDistDir, WASM_FILES, type PageBundle, type TrainBundle } from './bundle.js';
import { trainRoutes } from './train_route.js';
import { datasetRoutes } from './datasets_route.js';
import { acceptRequest, json, listen, notFound, send, sendFile, serverUrl } from './http.js';
import { modelInfo, modelUrl, openModelSource, type ModelSource } from './models.js';
import { latestSamples, lossesSince, sampleFile } from './run_data.js';

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
  /** a bundle built earlier (tests share one); otherwise the translate page is bundled at start, or on its first request when only the training page is served */
  bundle?: PageBundle;
  /** the training page's bundle built earlier (tests share one); otherwise it is bundled on its first request */
  trainBundle?: TrainBundle;
  /** where the built-in datasets served to the training page are cached (default: `cyclegan datasets`' cache) */
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/** What the routes serve from. */
interface Site {
  source: ModelSource;
  /** the translate page's bundle (built once, when first needed) */
  page: () => Promise<PageBundle>;
  wasmDir: string;
  config: { maxUploadBytes: number; maxPixels: number };
  /** the training page's routes (src/web/train_route.ts) */
  train: ReturnType<typeof trainRoutes>;
  /** the built-in datasets offered on the training page (src/web/datasets_route.ts) */
  datasets: ReturnType<typeof datasetRoutes>;
}

/** The route table: the page, its assets, the models, and (serving a run) the dashboard's data. */
async function route(site: Site, res: http.ServerResponse, pathname: string, query: URLSearchParams): Promise<void> {
  const run = site.source.run;
  const t = await site.train(pathname, query);
  if (t) return send(res, t.status, t.type, t.body, t.headers);
  // Without a model or a run to show, the server is the training page's.
  if (site.source.trainOnly && (pathname === '/' || pathname === '/index.html')) {
    return send(res, 302, 'text/plain; charset=utf-8', 'see /train/\n', { Location: '/train/' });
  }
  switch (pathname) {
    case '/':
    case '/index.html':
      return send(res, 200, 'text/html; charset=utf-8', INDEX_HTML, { 'Cache-Control': 'no-cache' });
    case '/style.css':
      return send(res, 200, 'text/css; charset=utf-8', STYLE_CSS, { 'Cache-Control': 'no-cache' });
    case '/app.js':
      return send(res, 200, 'text/javascript; charset=utf-8', (await site.page()).js, { 'Cache-Control': 'no-cache' });
    case '/favicon.ico':
      return send(res, 204, 'image/x-icon', '');
    case '/api/config':
      return json(res, {
        mode: run ? 'run' : 'model',
        models: await modelInfo(site.source),
        ...site.config,
        run: run ? { name: path.basename(run.root) } : undefined,
      });
  }
  if (pathname === '/datasets/index.json') return json(res, await site.datasets.index());
  if (pathname.startsWith('/datasets/')) {
    const f = await site.datasets.file(pathname);
    return f ? sendFile(res, f.file, f.type, 'max-age=3600') : notFound(res);
  }
  if (pathname.startsWith('/wasm/')) {
    const name = pathname.slice('/wasm/'.length);
    if (!(WASM_FILES as readonly string[]).includes(name)) return notFound(res);
    return sendFile(res, path.join(site.wasmDir, name), 'application/wasm', 'max-age=3600');
  }
  if (pathname.startsWith('/models/')) {
    const id = pathname.slice('/models/'.length).replace(/\.safetensors$/, '');
    const m = (await site.source.models()).find((e) => modelUrl(e) === pathname && e.id === id);
    return m ? sendFile(res, m.file, 'application/octet-stream') : notFound(res);
  }
  if (run && pathname === '/api/losses') return json(res, await lossesSince(run, Number(query.get('from') ?? 0) || 0));
  if (run && pathname === '/api/samples') return json(res, await latestSamples(run));
  if (run && pathname.startsWith('/samples/')) {
    const f = await sampleFile(run, pathname.slice('/samples/'.length));
    return f ? sendFile(res, f.file, f.type) : notFound(res);
  }
  return notFound(res);
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  // '' would bind every interface while printing an empty address; make a public bind explicit (0.0.0.0).
  if (host.trim() === '') throw new CycleGANError("--host '' is not an address; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)");
  // A host name that does not resolve is reported now, before the page is bundled.
  await dnsLookup(host).catch((e: NodeJS.ErrnoException) => {
    throw new CycleGANError(`--host ${host}: no such host name or address (${e.code ?? e.message}); use e.g. 127.0.0.1 or 0.0.0.0`);
  });
  const log = opts.log ?? (() => {});
  const source = await openModelSource(opts);
  const page = lazyBundle(opts.bundle, () => bundlePage(), (b) => log(`web page bundled (${(b.js.length / 1e6).toFixed(1)} MB, ${b.buildMs} ms)`));
  // A model or a run is shown on the translate page: bundled now, so that a failure is reported at start and the
  // first visit does not wait. The training page alone (no model, no run) never bundles it unless /app.js is asked for.
  if (!source.trainOnly) await page();
  const site: Site = {
    source, page, wasmDir: wasmDistDir(),
    config: { maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, maxPixels: opts.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS },
    train: trainRoutes(opts.trainBundle, log),
    datasets: datasetRoutes(opts.cacheDir),
  };

  const server = await listen(async (req, res) => {
    const r = acceptRequest(req, res, host);
    if (r) await route(site, res, r.pathname, r.query);
  }, host, opts.port, log);
  const { url, port } = serverUrl(server, host);
  return {
    url,
    port,
    host,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
