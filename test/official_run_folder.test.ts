// Back and forth with the official code: `export --format pth` writes state dicts that torch.load reads (checked
// with /usr/bin/python3 where torch is installed) and that import-torch reads back bit-exactly; a run folder of
// official .pth checkpoints (latest_net_G_A.pth, ..., no opt.json) is tested, translated and continued.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { promises as fsp, existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/backends/index.js';
import { createNetwork, type NetworkSpec } from '../src/core/networks/index.js';
import { loadNetwork, networkToStateDict } from '../src/weights/network_file.js';
import { readSafetensors } from '../src/core/weights/safetensors.js';
import { parseTorchStateDict } from '../src/weights/torch_pth.js';
import { encodeTorchStateDict } from '../src/export/torch_pth.js';
import { makeRandomDataset, tempDir } from './workflow_util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../src/cli/main.js');
const NETS = ['G_A', 'G_B', 'D_A', 'D_B'];
const ARCH = ['--netG', 'resnet_6blocks', '--ngf', '4', '--ndf', '4', '--netD', 'n_layers', '--n_layers_D', '1'];
const TRAIN_TINY = [...ARCH, '--load_size', '18', '--crop_size', '16', '--max_dataset_size', '2', '--seed', '1', '--gpu_ids', '-1'];

function cli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}\n${r.stderr}`);
  return r;
}

function sameBits(a: { shape: readonly number[]; data: ArrayLike<number> }, b: { shape: readonly number[]; data: ArrayLike<number> }, key: string): void {
  assert.deepEqual([...a.shape], [...b.shape], key);
  const fa = Float32Array.from(a.data), fb = Float32Array.from(b.data);
  assert.deepEqual(new Uint8Array(fa.buffer), new Uint8Array(fb.buffer), key);
}

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

test('export --format pth: torch.load reads it, import-torch reads it back bit-exactly (batch norm buffers too)', async () => {
  await initBackend('cpu');
  const dir = await tempDir('pth');
  const specs: NetworkSpec[] = [
    { role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'batch', useDropout: false },
    { role: 'discriminator', netD: 'basic', inputNc: 3, ndf: 4, nLayersD: 3, norm: 'instance' },
  ];
  for (const [i, spec] of specs.entries()) {
    const net = createNetwork(spec, { seed: 7 + i });
    const sd = networkToStateDict(net);
    net.dispose();
    const file = path.join(dir, `net${i}.pth`);
    await fsp.writeFile(file, encodeTorchStateDict(sd, `net${i}`));
    const back = parseTorchStateDict(new Uint8Array(await fsp.readFile(file)), file);
    assert.deepEqual([...back.keys()], [...sd.keys()]);
    for (const [k, t] of sd) sameBits(back.get(k)!, t, k);
    if (hasTorch) {
      // torch.load: the same keys, float32 tensors (int64 num_batches_tracked), the same values
      const py = spawnSync('/usr/bin/python3', ['-c', [
        'import sys, json, torch',
        'sd = torch.load(sys.argv[1], map_location="cpu")',
        'print(json.dumps([[k, str(v.dtype), list(v.shape), v.double().flatten().tolist()] for k, v in sd.items()]))',
      ].join('\n'), file], { encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(py.status, 0, py.stderr);
      const rows = JSON.parse(py.stdout) as Array<[string, string, number[], number[]]>;
      assert.deepEqual(rows.map((r) => r[0]), [...sd.keys()]);
      for (const [k, dtype, shape, values] of rows) {
        const t = sd.get(k)!;
        assert.equal(dtype, k.endsWith('num_batches_tracked') ? 'torch.int64' : 'torch.float32', k);
        assert.deepEqual(shape, [...t.shape], k);
        sameBits({ shape, data: values }, t, `torch.load ${k}`);
      }
    }
  }
  if (!hasTorch) console.log('# /usr/bin/python3 has no torch: torch.load check skipped');
});

test('an official run folder (.pth, no opt.json) is tested, translated and continued; export + import-torch round-trips', async () => {
  const cwd = await tempDir('offrun');
  await makeRandomDataset(path.join(cwd, 'data'), { n: 3, size: 20, phase: 'train', seed: 3 });
  await makeRandomDataset(path.join(cwd, 'data'), { n: 2, size: 20, phase: 'test', seed: 4 });
  cli(cwd, ['train', '--dataroot', 'data', '--name', 'ours', ...TRAIN_TINY, '--n_epochs', '1', '--n_epochs_decay', '1']);
  // the official layout: latest_net_<X>.pth only, written by export --format pth
  const off = path.join(cwd, 'checkpoints', 'off');
  await fsp.mkdir(off, { recursive: true });
  for (const n of NETS) {
    cli(cwd, ['export', '--model', `checkpoints/ours/latest_net_${n}.safetensors`, '--format', 'pth', '--out', path.join(off, `latest_net_${n}.pth`)]);
  }
  // import-torch brings G_A back bit-exactly
  cli(cwd, ['import-torch', path.join(off, 'latest_net_G_A.pth'), '--netG', 'resnet_6blocks', '--ngf', '4', '--out', 'back.safetensors']);
  const orig = readSafetensors(new Uint8Array(await fsp.readFile(path.join(cwd, 'checkpoints/ours/latest_net_G_A.safetensors'))));
  const back = readSafetensors(new Uint8Array(await fsp.readFile(path.join(cwd, 'back.safetensors'))));
  assert.deepEqual([...back.tensors.keys()].sort(), [...orig.tensors.keys()].sort());
  for (const [k, t] of orig.tensors) sameBits(back.tensors.get(k)!, t, k);

  // test: the official .pth folder gives the same pictures as our run
  cli(cwd, ['test', '--dataroot', 'data', '--name', 'ours', '--model', 'cycle_gan', '--load_size', '16', '--crop_size', '16', '--gpu_ids', '-1']);
  const t = cli(cwd, ['test', '--dataroot', 'data', '--name', 'off', '--model', 'cycle_gan', ...ARCH, '--load_size', '16', '--crop_size', '16', '--gpu_ids', '-1']);
  assert.match(t.stdout, /processed 2 of 2 images/);
  for (const f of await fsp.readdir(path.join(cwd, 'results/ours/test_latest/images'))) {
    assert.deepEqual(await fsp.readFile(path.join(cwd, 'results/off/test_latest/images', f)), await fsp.readFile(path.join(cwd, 'results/ours/test_latest/images', f)), f);
  }
  // translate --name from the official folder
  const tr = cli(cwd, ['translate', '--name', 'off', '--direction', 'BtoA', ...ARCH.slice(0, 4), '--out', 'tr', '--gpu_ids', '-1', 'data/testB']);
  assert.match(tr.stderr, /converted .*latest_net_G_B\.pth with --netG resnet_6blocks --ngf 4/);
  assert.ok(existsSync(path.join(cwd, 'tr', 'b000.png')));
  // a .pth given as a model file points to import-torch
  const bad = spawnSync(process.execPath, [CLI, 'translate', '--model', path.join(off, 'latest_net_G_A.pth'), '--out', 'x', 'data/testA'], { cwd, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /is a PyTorch checkpoint, not a cyclegan model file: convert it once with 'cyclegan import-torch/);
  // serve: the official folder's generators (converted once, architecture from the flags)
  assert.deepEqual(await servedModels(cwd, ['--checkpoints_dir', 'checkpoints', '--name', 'off', ...ARCH.slice(0, 4)]), ['G_A', 'G_B']);
  await fsp.mkdir(path.join(cwd, 'checkpoints/pre'), { recursive: true });
  await fsp.copyFile(path.join(off, 'latest_net_G_A.pth'), path.join(cwd, 'checkpoints/pre/latest_net_G.pth'));
  assert.deepEqual(await servedModels(cwd, ['--name', 'pre', ...ARCH.slice(0, 4)]), ['model']); // a pretrained model's folder
  // continue training from the official folder: fresh optimizers, as the official code, and it says so
  const c = cli(cwd, ['train', '--dataroot', 'data', '--name', 'off', '--continue_train', ...TRAIN_TINY, '--n_epochs', '1', '--n_epochs_decay', '1', '--verbose']);
  assert.match(c.stderr, /^\[Network D_B\] Total number of parameters : 0\.\d{3} M$/m); // --verbose, as print_networks
  assert.match(c.stderr, /continuing off from latest_net_\* \(official \.pth checkpoints, converted with the architecture from the flags\) at epoch 1; the optimizers start fresh/);
  for (const n of NETS) assert.ok(existsSync(path.join(off, `latest_net_${n}.safetensors`)), n);
  // the continued folder now holds our files too (opt.json, safetensors): test needs no architecture flags
  const after = spawnSync(process.execPath, [CLI, 'test', '--dataroot', 'data', '--name', 'off', '--model', 'cycle_gan', '--epoch', 'latest', '--gpu_ids', '-1',
    '--checkpoints_dir', 'checkpoints'], { cwd, encoding: 'utf8' });
  assert.equal(after.status, 0, after.stderr);
  const net = await loadNetwork(path.join(off, 'latest_net_G_A.safetensors'));
  assert.equal(net.spec.role === 'generator' && net.spec.ngf, 4);
  net.dispose();
});

/** Starts `cyclegan serve ARGS --port 0`, reads /api/config, stops it; returns the ids of the models it serves. */
async function servedModels(cwd: string, args: string[]): Promise<string[]> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out} ${err}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /serving on (http:\/\/\S+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${err}`)));
    });
    const cfg = await (await fetch(`${url}api/config`)).json() as { models: Array<{ id: string }> };
    assert.match(err, /converted the official latest_net_/);
    return cfg.models.map((m) => m.id);
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
