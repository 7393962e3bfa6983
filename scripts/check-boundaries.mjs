// The package's boundary, checked by `npm run build` (after tsc): src/core runs anywhere, so it imports
// nothing from Node and nothing of ours outside src/core; the web page imports only Node-free modules; the CLI
// imports the library only through its public API, src/index.ts. Exits 1 with one line per violation.
//   node scripts/check-boundaries.mjs [root]     (root: a checkout, default this one)
// With the default root it also bundles the pages (dist/src/web/bundle.js): esbuild then sees the whole graph,
// packages included, and refuses any Node module outside the explicit list of TF.js's own (TFJS_NODE_IMPORTS).
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? here);
const src = path.join(root, 'src');
const rel = (p) => path.relative(root, p).split(path.sep).join('/');

/** TF.js packages: the only packages src/core and the page may import (not the union package @tensorflow/tfjs). */
const TFJS = /^@tensorflow\/tfjs-(core|backend-[a-z]+)(\/.*)?$/;
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isNodeModule = (spec) => spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0]) || NODE_BUILTINS.has(spec);

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Comments removed ('//' inside a string such as 'http://' kept). */
const code = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\'"])\/\/.*$/gm, '$1');

/** Every module specifier a file names: imports and re-exports (type-only ones too), dynamic import(), require(). */
function specifiers(file) {
  const text = code(readFileSync(file, 'utf8'));
  const out = [];
  const re = /\b(?:from\s*|import\s*\(\s*|import\s+|require\s*\(\s*)(['"])([^'"\n]+)\1/g;
  for (let m; (m = re.exec(text)); ) out.push(m[2]);
  return out;
}

/** A relative specifier ('./x.js' for x.ts) → the .ts file it names, or null when it is not one of ours. */
function resolveTs(from, spec) {
  const p = path.resolve(path.dirname(from), spec);
  for (const c of [p.replace(/\.js$/, '.ts'), `${p}.ts`, path.join(p, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

const errors = [];
const inside = (file, dir) => !path.relative(dir, file).startsWith('..');

// 1. src/core: relative imports stay inside src/core; packages are TF.js's; no Node module, no Node globals.
const core = path.join(src, 'core');
for (const file of tsFiles(core)) {
  for (const spec of specifiers(file)) {
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      if (!inside(target, core)) errors.push(`${rel(file)} imports '${spec}' from outside src/core (src/core imports only src/core and TF.js)`);
    } else if (isNodeModule(spec)) {
      errors.push(`${rel(file)} imports the Node module '${spec}' (src/core runs in browsers too)`);
    } else if (!TFJS.test(spec)) {
      errors.push(`${rel(file)} imports the package '${spec}' (src/core imports only TF.js packages: @tensorflow/tfjs-core, -backend-*)`);
    }
  }
  const text = code(readFileSync(file, 'utf8'));
  const global = /\b(process\.\w+|Buffer\.\w+|__dirname|__filename)/.exec(text);
  if (global) errors.push(`${rel(file)} uses the Node global '${global[1]}' (src/core runs in browsers too)`);
}

// 2. The web pages (translate page + dashboard, training page + its worker): every module of ours they reach
// imports no Node module and no package but TF.js's.
const seen = new Set();
const queue = [...tsFiles(path.join(src, 'web', 'page')), ...tsFiles(path.join(src, 'web', 'train'))];
while (queue.length > 0) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  for (const spec of specifiers(file)) {
    if (spec.startsWith('.')) {
      const target = resolveTs(file, spec);
      if (target) queue.push(target);
      else errors.push(`${rel(file)} imports '${spec}', which is not a module of ours`);
    } else if (!TFJS.test(spec)) { // a Node module too: none is named @tensorflow/tfjs-*
      errors.push(`${rel(file)} imports '${spec}' and the web page reaches it (page modules import only src/core, page code and TF.js)`);
    }
  }
}

// 3. The CLI imports the library only through its public API (src/index.ts), besides its own modules.
const cli = path.join(src, 'cli');
for (const file of tsFiles(cli)) {
  for (const spec of specifiers(file)) {
    if (!spec.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), spec);
    if (!inside(target, cli) && target !== path.join(src, 'index.js') && target !== path.join(src, 'index.ts')) {
      errors.push(`${rel(file)} imports '${spec}': the CLI imports the library only from src/index.ts`);
    }
  }
}

// 4. The page bundles themselves, the translate page and the training page with its worker (where the root has
// the compiled dist/: a built checkout), with the same rules: one line for each bundle that fails.
const bundleModule = path.join(root, 'dist', 'src', 'web', 'bundle.js');
if (errors.length === 0 && existsSync(bundleModule)) {
  const { bundlePage, trainEntries } = await import(pathToFileURL(bundleModule).href);
  const train = trainEntries();
  for (const [what, entry] of [['the translate page', undefined], ['the training page', train.page], ['the training worker', train.worker]]) {
    try {
      await bundlePage({ minify: false, entry });
    } catch (e) {
      errors.push(`${what}: ${e.message}`);
    }
  }
}

if (errors.length > 0) {
  for (const e of errors) console.error(`check-boundaries: ${e}`);
  process.exit(1);
}
