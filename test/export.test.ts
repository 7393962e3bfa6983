// ONNX and TF.js graph-model exports against this project's own forward pass (Network.apply).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tf } from '../src/core/tf.js';
import * as tfjs from '@tensorflow/tfjs';
import { createNetwork, type Network, type NetworkSpec } from '../src/core/networks/index.js';
import { loadNetwork, saveNetwork } from '../src/weights/network_file.js';
import { run as exportCommand } from '../src/cli/commands/export.js';
import { ProtoWriter, decodeMessage } from '../src/export/protobuf.js';
import { exportOnnx } from '../src/export/onnx.js';
import { networkFromStateDict } from '../src/weights/network_file.js';
import { fixturesAvailable, loadFixture, manifest, withPrefix } from './helpers/fixtures.js';

const TOL = 1e-4;

interface Case {
  name: string;
  spec: NetworkSpec;
  sizes: Array<[number, number, number]>; // [N, H, W] — two sizes per case check the dynamic batch and spatial dims
}

const CASES: Case[] = [
  {
    name: 'resnet_6blocks/instance',
    spec: { role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: 4, norm: 'instance', useDropout: false },
    sizes: [[1, 32, 48], [2, 36, 28]],
  },
  {
    name: 'unet_128/batch+dropout',
    spec: { role: 'generator', netG: 'unet_128', inputNc: 3, outputNc: 3, ngf: 4, norm: 'batch', useDropout: true },
    sizes: [[1, 128, 128], [2, 128, 256]],
  },
  {
    name: 'n_layers D/instance',
    spec: { role: 'discriminator', netD: 'basic', inputNc: 3, ndf: 4, nLayersD: 3, norm: 'instance' },
    sizes: [[1, 32, 32], [2, 40, 48]],
  },
];

/** Runs the export command without its 'wrote …' line in the test output. */
async function exportQuiet(argv: string[]): Promise<number> {
  const log = console.log;
  console.log = () => {};
  try {
    return await exportCommand(argv);
  } finally {
    console.log = log;
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'output sizes differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Random weights of a realistic scale (the 0.02 init gives near-zero outputs, which would hide errors). */
function randomize(net: Network, seed: number): void {
  let s = seed;
  for (const [, v] of net.params) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', s++));
  for (const key of [...net.buffers.keys()]) {
    const old = net.buffers.get(key)!;
    if (key.endsWith('running_mean')) net.buffers.set(key, tf.keep(tf.randomNormal(old.shape, 0, 0.5, 'float32', s++)));
    else if (key.endsWith('running_var')) net.buffers.set(key, tf.keep(tf.randomUniform(old.shape, 0.5, 2, 'float32', s++)));
    else continue;
    old.dispose();
  }
}

async function savedModel(dir: string, c: Case, seed: number): Promise<string> {
  const net = createNetwork(c.spec, { seed });
  randomize(net, seed * 100);
  const file = path.join(dir, `${c.name.replace(/\W+/g, '_')}.safetensors`);
  await saveNetwork(net, file);
  net.dispose();
  return file;
}

test('protobuf writer: varints, negative int64, floats and nested messages read back', () => {
  const inner = new ProtoWriter().string(1, 'ab').float(2, 1.5);
  const bytes = new ProtoWriter().int(1, 150).int(2, -1).message(3, inner).finish();
  assert.deepEqual([...bytes.subarray(0, 3)], [0x08, 0x96, 0x01]); // the protobuf docs' own example
  assert.equal(bytes[3], 0x10);
  assert.deepEqual([...bytes.subarray(4, 14)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  const f = decodeMessage(bytes);
  assert.equal(f.get(1)![0], 150n);
  assert.equal(BigInt.asIntN(64, f.get(2)![0] as bigint), -1n);
  const sub = decodeMessage(f.get(3)![0] as Uint8Array);
  assert.equal(new TextDecoder().decode(sub.get(1)![0] as Uint8Array), 'ab');
  assert.equal(sub.get(2)![0], 1.5);
});

test('export --format onnx: onnxruntime-node reproduces Network.apply (≤1e-4, dynamic H/W)', async (t) => {
  await tf.setBackend('cpu');
  let ort: typeof import('onnxruntime-node');
  try {
    ort = (await import('onnxruntime-node')).default as unknown as typeof import('onnxruntime-node');
  } catch (e) {
    t.skip(`onnxruntime-node is not installed (${(e as Error).message})`);
    return;
  }
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-export-onnx-'));
  try {
    for (const [i, c] of CASES.entries()) {
      const model = await savedModel(dir, c, i + 1);
      const out = path.join(dir, `${i}.onnx`);
      assert.equal(await exportQuiet(['--model', model, '--format', 'onnx', '--out', out]), 0);
      const session = await ort.InferenceSession.create(out);
      const net = await loadNetwork(model);
      try {
        for (const [n, h, w] of c.sizes) {
          const x = tf.randomUniform([n, h, w, 3], -1, 1, 'float32', h * w) as tf.Tensor4D;
          const ours = tf.tidy(() => tf.transpose(net.apply(x), [0, 3, 1, 2]));
          const xn = tf.transpose(x, [0, 3, 1, 2]);
          const res = await session.run({ input: new ort.Tensor('float32', xn.dataSync() as Float32Array, xn.shape) });
          const theirs = res.output;
          assert.deepEqual([...theirs.dims], ours.shape, `${c.name} ${h}x${w}: output shape`);
          const diff = maxAbsDiff(theirs.data as Float32Array, ours.dataSync());
          t.diagnostic(`onnx ${c.name} ${n}x${h}x${w}: max abs diff ${diff.toExponential(2)}`);
          assert.ok(diff <= TOL, `${c.name} ${h}x${w}: onnxruntime differs by ${diff}`);
          tf.dispose([x, ours, xn]);
        }
      } finally {
        net.dispose();
        await session.release();
      }
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('export --format tfjs: plain tf.loadGraphModel over HTTP reproduces Network.apply (≤1e-4)', async (t) => {
  await tf.setBackend('cpu');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cg-export-tfjs-'));
  // A plain static file server: the model is loaded exactly as a web page would load it.
  const server = http.createServer(async (req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname);
    const sub = new URL(req.url ?? '/', 'http://x').pathname.split('/')[1] ?? '';
    try {
      const data = await fsp.readFile(path.join(dir, path.basename(sub), name));
      res.writeHead(200).end(data);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    for (const [i, c] of CASES.entries()) {
      const model = await savedModel(dir, c, i + 11);
      const outDir = path.join(dir, `m${i}`);
      assert.equal(await exportQuiet(['--model', model, '--format', 'tfjs', '--out', outDir]), 0);
      const manifest = JSON.parse(await fsp.readFile(path.join(outDir, 'model.json'), 'utf8'));
      const ops = new Set((manifest.modelTopology.node as Array<{ op: string }>).map((n) => n.op));
      const stock = new Set(['Placeholder', 'Const', 'Identity', 'MirrorPad', 'Pad', 'Conv2D', 'Conv2DBackpropInput', 'Shape',
        'Mul', 'AddV2', 'Sub', 'Slice', 'Mean', 'SquaredDifference', 'Rsqrt', 'Relu', 'LeakyRelu', 'Tanh', 'ConcatV2']);
      assert.deepEqual([...ops].filter((o) => !stock.has(o)), [], 'only stock TensorFlow ops');
      const gm = await tfjs.loadGraphModel(`http://127.0.0.1:${port}/m${i}/model.json`);
      const net = await loadNetwork(model);
      try {
        for (const [n, h, w] of c.sizes) {
          const x = tf.randomUniform([n, h, w, 3], -1, 1, 'float32', h + w) as tf.Tensor4D;
          const ours = net.apply(x);
          const theirs = gm.execute(x) as tf.Tensor;
          assert.deepEqual(theirs.shape, ours.shape, `${c.name} ${h}x${w}: output shape`);
          const diff = maxAbsDiff(theirs.dataSync(), ours.dataSync());
          t.diagnostic(`tfjs ${c.name} ${n}x${h}x${w}: max abs diff ${diff.toExponential(2)} (ops: ${[...ops].sort().join(' ')})`);
          assert.ok(diff <= TOL, `${c.name} ${h}x${w}: graph model differs by ${diff}`);
          tf.dispose([x, ours, theirs]);
        }
      } finally {
        net.dispose();
        gm.dispose();
      }
    }
  } finally {
    server.close();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('export: bad format and missing model are one-line user errors', async () => {
  await assert.rejects(exportCommand(['--model', 'x.safetensors', '--format', 'pb', '--out', 'y']), /--format must be onnx, tfjs or pth/);
  await assert.rejects(exportCommand(['--model', '/nonexistent/x.safetensors', '--format', 'onnx', '--out', '/tmp/y.onnx']),
    (e: Error & { userFacing?: boolean }) => e.userFacing === true && /cannot read model file/.test(e.message));
});

test('export onnx: official PyTorch generators (fixtures) in onnxruntime give the official output (≤1e-4)',
  { skip: fixturesAvailable() ? false : 'reference fixtures not found' }, async (t) => {
    await tf.setBackend('cpu');
    const ort = (await import('onnxruntime-node')).default as unknown as typeof import('onnxruntime-node');
    for (const name of ['resnet_9blocks_ngf4_batch2', 'unet_128_ngf4']) {
      const cfg = manifest().fixtures[name];
      const tensors = loadFixture(name);
      const spec: NetworkSpec = { role: 'generator', netG: cfg.netG, inputNc: 3, outputNc: 3, ngf: cfg.ngf, norm: cfg.norm, useDropout: false };
      const net = networkFromStateDict(spec, withPrefix(tensors, 'param.'), undefined, name);
      const session = await ort.InferenceSession.create(exportOnnx(net));
      net.dispose();
      const x = tensors.get('input')!; // NCHW, as ONNX takes it
      const res = await session.run({ input: new ort.Tensor('float32', x.data, x.shape) });
      const diff = maxAbsDiff(res.output.data as Float32Array, tensors.get('output')!.data);
      t.diagnostic(`onnx ${name} vs official PyTorch: max abs diff ${diff.toExponential(2)}`);
      assert.ok(diff <= TOL, `${name}: ${diff}`);
      await session.release();
    }
  });
