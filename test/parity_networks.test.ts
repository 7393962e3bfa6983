// Forward outputs and gradients of every network fixture against the official PyTorch implementation.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backends/index.js';
import { tfToTorchLayout, type NetworkSpec } from '../src/networks/index.js';
import { networkFromStateDict } from '../src/weights/network_file.js';
import { fixturesAvailable, loadFixture, manifest, nchwToNhwc, nhwcToNchwData, relativeError, withPrefix, maxAbs } from './helpers/fixtures.js';

const FORWARD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

function specFor(cfg: Record<string, unknown>): NetworkSpec {
  const norm = cfg.norm as 'instance';
  if (cfg.netG) {
    return { role: 'generator', netG: cfg.netG as 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: cfg.ngf as number, norm, useDropout: false };
  }
  return { role: 'discriminator', netD: cfg.netD as 'basic', inputNc: 3, ndf: cfg.ndf as number, nLayersD: (cfg.n_layers_D as number) ?? 3, norm };
}

function checkFixture(name: string): void {
  const cfg = manifest().fixtures[name];
  const tensors = loadFixture(name);
  const net = networkFromStateDict(specFor(cfg), withPrefix(tensors, 'param.'), undefined, name);
  try {
    const x = tf.variable(nchwToNhwc(tensors.get('input')!));
    const probe = nchwToNhwc(tensors.get('probe')!);
    const out = net.apply(x);
    assert.ok(relativeError(nhwcToNchwData(out), tensors.get('output')!.data) < FORWARD_TOL,
      `${name}: forward output differs (rel ${relativeError(nhwcToNchwData(out), tensors.get('output')!.data)})`);
    out.dispose();
    const vars = [x, ...net.trainableVariables()];
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), probe)) as tf.Scalar, vars);
    const gx = grads[x.name];
    const errIn = relativeError(nhwcToNchwData(gx), tensors.get('grad_input')!.data);
    assert.ok(errIn < GRAD_TOL, `${name}: grad wrt input rel err ${errIn}`);
    for (const [key, v] of net.params) {
      const ref = tensors.get(`grad.${key}`);
      assert.ok(ref, `${name}: fixture lacks grad.${key}`);
      const g = tfToTorchLayout(grads[v.name]);
      // A conv bias right before an instance norm has a true gradient of zero; PyTorch's value is float
      // noise, so such errors are measured against the scale of the same layer's weight gradient.
      const sibling = tensors.get(`grad.${key.replace(/\.bias$/, '.weight')}`);
      const floor = key.endsWith('.bias') && sibling ? 1e-2 * maxAbs(sibling.data) : 1e-12;
      const err = relativeError(g.dataSync(), ref.data, floor);
      g.dispose();
      assert.ok(err < GRAD_TOL, `${name}: grad of ${key} rel err ${err}`);
    }
    tf.dispose([x, probe, ...Object.values(grads)]);
  } finally {
    net.dispose();
  }
}

const GENERATORS = ['resnet_6blocks_ngf8', 'resnet_9blocks_ngf4_batch2', 'unet_128_ngf4'];
const DISCRIMINATORS = ['patchgan_basic_ndf8', 'patchgan_nlayers2_ndf8', 'pixelgan_ndf8'];
const skip = fixturesAvailable() ? false : 'reference fixtures not found (../shared/fixtures/reference)';

test('network parity on the default backend', { skip }, async (t) => {
  const backend = await initBackend(process.env.CYCLEGAN_TEST_BACKEND ?? 'auto');
  for (const name of [...GENERATORS, ...DISCRIMINATORS]) {
    await t.test(`${name} (${backend})`, () => checkFixture(name));
  }
});

test('generator parity on wasm', { skip }, async (t) => {
  await initBackend('wasm');
  for (const name of GENERATORS) await t.test(`${name} (wasm)`, () => checkFixture(name));
});
