// Reproducibility on the native backend (issue 10). Without --deterministic the addon picks each conv's
// variant (NHWC or oneDNN's blocked layout) by timing both on first use, so two runs with one seed can train
// different weights on a loaded machine. With --deterministic the choice is a fixed rule: two runs, started
// at the same time so that their timings interfere, must write byte-identical networks and loss logs.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nativeInfo, setNativeDeterministic, tryRegisterNativeBackend } from '../src/backends/native/index.js';
import { initBackend, setDeterministic } from '../src/backends/index.js';
import { tf } from '../src/core/tf.js';
import { NET_NAMES } from '../src/train/run_folder.js';
import { makeRandomDataset, tempDir } from './workflow_util.js';
import { compareRuns } from './helpers/resume.js';

const reg = tryRegisterNativeBackend();
const skip = reg.ok ? false : `native addon not available: ${reg.reason}`;
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

function train(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'train', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('native --deterministic: two concurrent runs with one seed write identical weights and losses', { skip }, async () => {
  const data = await tempDir('det-data');
  const ck = await tempDir('det-ck');
  try {
    // 48 px and ngf 8: big enough that the parallel kernels and several conv shapes are used
    await makeRandomDataset(data, { n: 3, size: 50 });
    const args = (name: string) => ['--dataroot', data, '--name', name, '--checkpoints-dir', ck, '--backend', 'native', '--deterministic',
      '--netG', 'resnet_6blocks', '--ngf', '8', '--ndf', '8', '--load-size', '50', '--crop-size', '48', '--seed', '5',
      '--n-epochs', '2', '--n-epochs-decay', '0', '--print-freq', '1'];
    const [a, b] = await Promise.all([train(args('a')), train(args('b'))]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    for (const n of NET_NAMES) {
      const fa = await fsp.readFile(path.join(ck, 'a', `latest_net_${n}.safetensors`));
      const fb = await fsp.readFile(path.join(ck, 'b', `latest_net_${n}.safetensors`));
      assert.ok(fa.equals(fb), `latest_net_${n} differs between the two runs`);
    }
    const losses = async (name: string) => (await fsp.readFile(path.join(ck, name, 'loss_log.jsonl'), 'utf8'))
      .trim().split('\n').map((l) => JSON.stringify(JSON.parse(l).losses));
    const la = await losses('a');
    assert.equal(la.length, 6);
    assert.deepEqual(await losses('b'), la);
  } finally {
    await fsp.rm(ck, { recursive: true, force: true });
    await fsp.rm(data, { recursive: true, force: true });
  }
});

test('interrupted + continued = uninterrupted (native backend, --deterministic)', { skip }, async () => {
  setNativeDeterministic(false);
  await compareRuns('native', 4, 6, { deterministic: true });
  // the trainer told the addon itself (no environment variable in between)
  assert.equal(nativeInfo()!.deterministic, true);
});

test('switching the conv rule drops the convs built under the other one', { skip }, async () => {
  await initBackend('native', () => {});
  await setDeterministic(false);
  assert.equal(nativeInfo()!.deterministic, false);
  tf.tidy(() => tf.conv2d(tf.ones([1, 9, 9, 3]) as tf.Tensor4D, tf.ones([3, 3, 3, 4]) as tf.Tensor4D, 1, 'same').dataSync());
  assert.ok(nativeInfo()!.cachedPrimitives > 0);
  setNativeDeterministic(true);
  assert.equal(nativeInfo()!.deterministic, true);
  assert.equal(nativeInfo()!.cachedPrimitives, 0);
});
