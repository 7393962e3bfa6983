// A run moves between the training page's engine and `cyclegan train` (cyclegan browser-run import/export) and
// continues exactly: page → CLI → end equals the uninterrupted run, and CLI → page → end too (wasm, tiny nets).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { initBackend } from '../src/backends/index.js';
import { TrainEngine, pickEngineOptions } from '../src/web/train/engine.js';
import { exportBrowserRun, importBrowserRun } from '../src/train/browser_run.js';
import { loadNets, runPaths, NET_NAMES } from '../src/train/run_folder.js';
import { run as browserRunCommand } from '../src/cli/commands/browser_run.js';
import { run as trainCommand } from '../src/cli/commands/train.js';
import { options as trainOptions, runOnce } from './helpers/resume.js';
import { loadFolderData } from './helpers/engine.js';
import { makeRandomDataset, tempDir, maxParamDiff } from './workflow_util.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

test('browser-run: page → `cyclegan train --continue` and CLI → page both end where the uninterrupted run ends', { timeout: 300_000 }, async () => {
  await initBackend('wasm', () => {});
  const root = await tempDir('brun-data');
  const ck = await tempDir('brun-ck');
  dirs.push(root, ck);
  await makeRandomDataset(root, { n: 3, size: 20 });
  const data = await loadFolderData(root);
  const opts = pickEngineOptions(trainOptions(root, ck, 'wasm'));
  const whole = TrainEngine.create(opts, data);
  while (await whole.step());
  assert.equal(whole.totalIters, 9);

  // page → CLI: 4 steps in the engine, import, continue with the CLI
  const page = TrainEngine.create(opts, data);
  for (let k = 0; k < 4; k++) await page.step();
  const file = path.join(ck, 'run.safetensors');
  await fsp.writeFile(file, await page.serialize());
  page.dispose();
  const log = console.log;
  console.log = () => {};
  try {
    assert.equal(await browserRunCommand(['import', file, '--name', 'fromPage', '--checkpoints-dir', ck]), 0);
    await assert.rejects(importBrowserRun(await fsp.readFile(file), ck, 'fromPage', file), /already holds a run/);
    assert.equal(await trainCommand(['--dataroot', root, '--name', 'fromPage', '--checkpoints-dir', ck, '--continue', '--backend', 'wasm']), 0);
  } finally {
    console.log = log;
  }
  const nets = await loadNets(runPaths(ck, 'fromPage'), 'latest');
  for (const n of NET_NAMES) {
    const d = maxParamDiff(nets[n]!.params, whole.nets[n].params);
    assert.ok(d <= 1e-6, `page → CLI: ${n} differs from the uninterrupted run by ${d}`);
    nets[n]!.dispose();
  }

  // CLI → page: `cyclegan train` stopped after 4 images, exported, finished by the engine
  const first = await runOnce(root, ck, 'wasm', 4);
  assert.equal(first.totalIters, 4);
  const bytes = await exportBrowserRun(ck, 'r');
  const { engine } = TrainEngine.restore(bytes, data, 'exported run');
  assert.equal(engine.totalIters, 4);
  while (await engine.step());
  for (const n of NET_NAMES) {
    const d = maxParamDiff(engine.nets[n].params, whole.nets[n].params);
    assert.ok(d <= 1e-6, `CLI → page: ${n} differs from the uninterrupted run by ${d}`);
  }
  engine.dispose();
  whole.dispose();
  await assert.rejects(exportBrowserRun(ck, 'nothing'), /no run at/);
});

test('browser-run takes --checkpoints-dir and --name from the option table: official spellings, errors naming the flag', async () => {
  const ck = await tempDir('brun-flags');
  dirs.push(ck);
  await assert.rejects(browserRunCommand(['export', '--out', path.join(ck, 'x.safetensors')]), /missing required flag --name/);
  await assert.rejects(browserRunCommand(['export', '--nmae', 'r']), /unknown flag --nmae \(did you mean --name\?\); see cyclegan browser-run --help/);
  await assert.rejects(browserRunCommand(['export', '--name', 'r', '--lr', '0.1']), /unknown flag --lr \(a train option; browser-run does not take it\)/);
  // the official snake_case spelling is the same flag
  await assert.rejects(browserRunCommand(['export', '--name', 'nothing', '--checkpoints_dir', ck, '--out', path.join(ck, 'x.safetensors')]),
    new RegExp(`no run at ${path.join(ck, 'nothing').replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} `));
});
