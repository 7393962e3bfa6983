#!/usr/bin/env node
// Builds the oneDNN addon (build/Release/cg_native.node) with node-gyp. The addon is optional: when oneDNN,
// a compiler or node-gyp is missing, or the build fails, this prints one line and exits 0 so that installs
// still succeed and the tool falls back to the wasm backend.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const say = (why) => console.log(`cyclegan: native oneDNN backend not built (${why}); the wasm backend will be used instead`);

function findHeader() {
  const dirs = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'];
  if (process.env.DNNL_ROOT) dirs.unshift(join(process.env.DNNL_ROOT, 'include'));
  for (const v of [process.env.CPATH, process.env.CPLUS_INCLUDE_PATH]) if (v) dirs.unshift(...v.split(delimiter));
  return dirs.find((d) => d && existsSync(join(d, 'dnnl.hpp')));
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try { candidates.push(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* not a local dependency */ }
  return candidates.find((p) => p && existsSync(p));
}

function main() {
  if (process.env.CYCLEGAN_SKIP_NATIVE === '1') return say('CYCLEGAN_SKIP_NATIVE=1');
  if (process.platform !== 'linux' && process.platform !== 'darwin') return say(`unsupported platform ${process.platform}`);
  const header = findHeader();
  if (!header) return say('oneDNN headers not found: install libdnnl-dev (Debian/Ubuntu) or set DNNL_ROOT');
  const cxx = process.env.CXX || 'c++';
  if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) return say(`no C++ compiler (${cxx}): install g++`);
  if (spawnSync('make', ['--version'], { stdio: 'ignore' }).status !== 0) return say('make not found');
  const gyp = findNodeGyp();
  if (!gyp) return say('node-gyp not found (it ships with npm)');
  try { require.resolve('node-addon-api'); } catch { return say('node-addon-api is not installed (run npm install)'); }

  const args = [gyp, 'rebuild', '--release', '--jobs=2'];
  // Use the headers of the running Node when they are installed, so no download is needed.
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const env = { ...process.env };
  if (header !== '/usr/include') env.CXXFLAGS = `${env.CXXFLAGS ?? ''} -I${header}`.trim();
  if (process.env.DNNL_ROOT) env.LDFLAGS = `${env.LDFLAGS ?? ''} -L${join(process.env.DNNL_ROOT, 'lib')}`.trim();
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const log = join(root, 'build', 'native-build.log');
  mkdirSync(dirname(log), { recursive: true });
  writeFileSync(log, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  const out = join(root, 'build', 'Release', 'cg_native.node');
  if (r.status !== 0 || !existsSync(out)) {
    const firstError = `${r.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l))?.trim();
    return say(`compile failed${firstError ? `: ${firstError.slice(0, 160)}` : ''}; full log in build/native-build.log`);
  }
  console.log(`cyclegan: built native oneDNN backend in ${((Date.now() - t0) / 1000).toFixed(0)} s (build/Release/cg_native.node)`);
}

main();
