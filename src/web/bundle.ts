// Bundles the browser page (src/web/page/main.ts, compiled to dist/) with esbuild: TF.js core + the webgpu,
// webgl and wasm backends + the project's own network code, so the page needs nothing from the internet.
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { CycleGANError } from '../core/errors.js';

export interface PageBundle {
  js: string;
  /** milliseconds esbuild took */
  buildMs: number;
  /**
   * Every Node-only module the page's import graph reaches inside packages (TF.js's Node code paths), with the
   * file importing it (relative to the package root): these are stubbed to empty modules, and each is one of
   * TFJS_NODE_IMPORTS. Our own modules may not import Node at all (bundling fails).
   */
  nodeImports: Array<{ module: string; importer: string }>;
}

/** The compiled page entry next to this module (dist/src/web/page/main.js). */
export function pageEntry(): string {
  return fileURLToPath(new URL('./page/main.js', import.meta.url));
}

/** The training page's two compiled entries (dist/src/web/train/): the page, and the Web Worker that trains. */
export function trainEntries(): { page: string; worker: string } {
  return {
    page: fileURLToPath(new URL('./train/page.js', import.meta.url)),
    worker: fileURLToPath(new URL('./train/worker.js', import.meta.url)),
  };
}

export interface TrainBundle {
  page: PageBundle;
  worker: PageBundle;
}

/** Bundles the training page (/train) and its worker, with the same Node-import rules as the translate page. */
export async function bundleTrainPage(opts: { minify?: boolean } = {}): Promise<TrainBundle> {
  const e = trainEntries();
  const [page, worker] = await Promise.all([bundlePage({ ...opts, entry: e.page }), bundlePage({ ...opts, entry: e.worker })]);
  return { page, worker };
}

/**
 * A bundle built when first asked for (`cyclegan serve` builds only the pages its mode serves, and each once):
 * `prebuilt` if given (tests share one); after a failed build, the next call builds again. `built` hears of each
 * bundle this builds (serve logs its size and time).
 */
export function lazyBundle<B>(prebuilt: B | undefined, build: () => Promise<B>, built: (b: B) => void = () => {}): () => Promise<B> {
  let bundle: Promise<B> | undefined = prebuilt ? Promise.resolve(prebuilt) : undefined;
  return () => {
    bundle ??= build().then((b) => {
      built(b);
      return b;
    }, (e: unknown) => {
      bundle = undefined; // try again on the next request
      throw e;
    });
    return bundle;
  };
}

// No module of ours that the page reaches may import Node (scripts/check-boundaries.mjs checks that at build
// time, and bundling refuses it). TF.js packages (and seedrandom) import Node modules on code paths a browser
// never takes; exactly these become empty modules, and any other Node import reached from the page fails
// bundling, so a new one is decided here, not discovered in a browser. test/single_owner.test.ts checks that
// the page reaches each of them (no stale entry).
export const TFJS_NODE_IMPORTS: readonly string[] = [
  'crypto <- node_modules/seedrandom/seedrandom.js',
  'fs <- node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
  'fs <- node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js',
  'os <- node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
  'path <- node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
  'path <- node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js',
  'perf_hooks <- node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
  'util <- node_modules/@tensorflow/tfjs-core/dist/platforms/platform_node.js',
  'worker_threads <- node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
];

/** Node's built-in modules, with and without the node: prefix. */
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isNodeBuiltin = (spec: string): boolean => spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]);

export async function bundlePage(opts: { minify?: boolean; /** another entry module (tests) */ entry?: string } = {}): Promise<PageBundle> {
  const entry = opts.entry ?? pageEntry();
  if (!existsSync(entry)) throw new CycleGANError(`web page entry ${entry} is missing; run 'npm run build' first`);
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw new CycleGANError(`esbuild is needed to bundle the web page but cannot be loaded (${(e as Error).message})`);
  }
  const t0 = Date.now();
  const nodeImports: PageBundle['nodeImports'] = [];
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: opts.minify ?? true,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
      plugins: [{
        name: 'node-only-stubs',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (!isNodeBuiltin(args.path)) return undefined; // esbuild resolves it as usual
            const importer = path.relative(root, args.importer).split(path.sep).join('/');
            if (!importer.includes('node_modules/')) {
              return { errors: [{ text: `${importer} imports the Node module '${args.path}', but the page imports it: keep the page's modules Node-free (docs/ARCHITECTURE.md)` }] };
            }
            if (!TFJS_NODE_IMPORTS.includes(`${args.path} <- ${importer}`)) {
              return { errors: [{ text: `${importer} imports the Node module '${args.path}' and the page reaches it: if that is a Node-only code path, list it in TFJS_NODE_IMPORTS (src/web/bundle.ts)` }] };
            }
            nodeImports.push({ module: args.path, importer });
            return { path: args.path, namespace: 'cg-node-stub' };
          });
          build.onLoad({ filter: /.*/, namespace: 'cg-node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
        },
      }],
    });
  } catch (e) {
    const first = (e as { errors?: Array<{ text: string }> }).errors?.[0];
    if (first) throw new CycleGANError(`cannot bundle the web page: ${first.text}`);
    throw e;
  }
  const out = result.outputFiles?.[0];
  if (!out) throw new Error('esbuild produced no output');
  return { js: out.text, buildMs: Date.now() - t0, nodeImports };
}

/** Where the TF.js wasm binaries live (served to the page under /wasm/). */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  // main is .../tfjs-backend-wasm/dist/<something>.js (node build) — the .wasm files sit in that package's dist/
  let dir = path.dirname(main);
  while (path.basename(dir) !== 'dist' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;
