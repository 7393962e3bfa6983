// Our reverse pass (src/core/networks/backward.ts) against TF.js's tape, on every architecture and layer kind
// (ResNet and U-Net generators, the three discriminators; instance, batch and no norm; dropout), and the
// hand-written loss gradients against tf.grad of the losses. The training step's fixture parity is in
// parity_training.test.ts; this pins the parts the fixtures do not reach.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/core/tf.js';
import { initBackend } from '../src/backends/index.js';
import { Rng } from '../src/core/rng.js';
import { createNetwork, type Layer, type NetworkSpec } from '../src/core/networks/index.js';
import { backward, disposeTrace, forwardTrace } from '../src/core/networks/backward.js';
import { ganLoss, ganLossGrad, l1Loss, l1LossGrad, GAN_MODES } from '../src/core/losses.js';

const backend = await initBackend(process.env.CYCLEGAN_TEST_BACKEND ?? 'auto');

function relErr(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  assert.equal(x.length, y.length);
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - y[i]) ** 2;
    den += y[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

function biasesBeforeInstanceNorm(layers: Layer[], out = new Set<string>()): Set<string> {
  layers.forEach((l, i) => {
    if ((l.op === 'conv2d' || l.op === 'convTranspose2d') && l.bias && layers[i + 1]?.op === 'instanceNorm') out.add(`${l.key}.bias`);
    if (l.op === 'residual' || l.op === 'skip') biasesBeforeInstanceNorm(l.body, out);
  });
  return out;
}

const cases: Array<{ name: string; spec: NetworkSpec; size: number }> = [
  { name: 'resnet_6blocks instance + dropout', size: 32,
    spec: { role: 'generator', netG: 'resnet_6blocks', inputNc: 3, outputNc: 2, ngf: 4, norm: 'instance', useDropout: true } },
  { name: 'resnet_9blocks none', size: 16,
    spec: { role: 'generator', netG: 'resnet_9blocks', inputNc: 1, outputNc: 3, ngf: 4, norm: 'none', useDropout: false } },
  { name: 'unet_128 batch + dropout', size: 128,
    spec: { role: 'generator', netG: 'unet_128', inputNc: 3, outputNc: 3, ngf: 2, norm: 'batch', useDropout: true } },
  { name: 'unet_128 instance', size: 128,
    spec: { role: 'generator', netG: 'unet_128', inputNc: 3, outputNc: 3, ngf: 2, norm: 'instance', useDropout: false } },
  { name: 'basic D instance', size: 32, spec: { role: 'discriminator', netD: 'basic', inputNc: 3, ndf: 4, nLayersD: 3, norm: 'instance' } },
  { name: 'n_layers D batch', size: 32, spec: { role: 'discriminator', netD: 'n_layers', inputNc: 3, ndf: 4, nLayersD: 2, norm: 'batch' } },
  { name: 'pixel D none', size: 16, spec: { role: 'discriminator', netD: 'pixel', inputNc: 3, ndf: 4, nLayersD: 3, norm: 'none' } },
];

for (const c of cases) {
  test(`reverse pass = TF.js tape: ${c.name} (${backend})`, () => {
    const net = createNetwork(c.spec, { seed: 3 });
    const inC = c.spec.inputNc;
    const x = tf.randomUniform([2, c.size, c.size, inC], -1, 1, 'float32', 5) as tf.Tensor4D;
    const vars = net.trainableVariables();
    const cancelled = biasesBeforeInstanceNorm(net.layers);
    const before = tf.memory().numTensors;

    // Ours: parameters' gradients and dx for a random upstream gradient.
    const { y, trace } = forwardTrace(net, x, { training: true, rng: new Rng(9) });
    const w = tf.randomNormal(y.shape, 0, 1, 'float32', 7) as tf.Tensor4D;
    const grads = new Map<string, tf.Tensor>();
    const dx = backward(trace, w.clone(), { grads, needDx: true })!;

    // The tape, with the same dropout masks (same seed, same draw order).
    const loss = (input: tf.Tensor4D, seed: number) => tf.sum(tf.mul(net.apply(input, { training: true, rng: new Rng(seed) }), w)) as tf.Scalar;
    const ref = tf.variableGrads(() => loss(x, 9), vars);
    const refDx = tf.grad((input: tf.Tensor) => loss(input as tf.Tensor4D, 9))(x);
    const refY = net.apply(x, { training: true, rng: new Rng(9) });

    assert.ok(relErr(y, refY) < 1e-5, `output: ${relErr(y, refY)}`);
    assert.ok(relErr(dx, refDx) < 1e-4, `dx: ${relErr(dx, refDx)}`);
    for (const [key, v] of net.params) {
      const ours = grads.get(key);
      assert.ok(ours, `no gradient for ${key}`);
      const e = relErr(ours, ref.grads[v.name]);
      // A bias feeding an instance norm has a true gradient of zero: both sides hold float noise there.
      if (!cancelled.has(key)) assert.ok(e < 1e-4, `${key}: rel err ${e}`);
    }
    tf.dispose([y, dx, refDx, refY, ref.value, ...Object.values(ref.grads), ...grads.values()]);
    assert.equal(tf.memory().numTensors, before + 1, 'the pass frees everything it saved (only w is left)');
    w.dispose();

    // Frozen network, input gradient only; and a trace that is never differentiated.
    const n0 = tf.memory().numTensors;
    const t2 = forwardTrace(net, x, { training: true, rng: new Rng(9) });
    const dx2 = backward(t2.trace, tf.onesLike(t2.y), { needDx: true })!;
    const t3 = forwardTrace(net, x, { training: true, rng: new Rng(9) });
    disposeTrace(t3.trace);
    tf.dispose([t2.y, dx2, t3.y]);
    assert.equal(tf.memory().numTensors, n0);
    tf.dispose(x);
    net.dispose();
  });
}

test(`hand-written loss gradients = tf.grad of the losses (${backend})`, () => {
  const p = tf.randomNormal([2, 6, 6, 1], 0, 2, 'float32', 1);
  const b = tf.randomUniform([2, 6, 6, 1], -1, 1, 'float32', 2);
  for (const mode of GAN_MODES) {
    for (const real of [true, false]) {
      const ref = tf.grad((x: tf.Tensor) => tf.mul(ganLoss(x, real, mode), 0.5))(p);
      const ours = ganLossGrad(p, real, mode, 0.5);
      assert.ok(relErr(ours, ref) < 1e-5, `${mode} ${real}: ${relErr(ours, ref)}`);
      tf.dispose([ref, ours]);
    }
  }
  const ref = tf.grad((x: tf.Tensor) => tf.mul(l1Loss(x, b), 10))(p);
  const ours = l1LossGrad(p, b, 10);
  assert.ok(relErr(ours, ref) < 1e-6, `l1: ${relErr(ours, ref)}`);
  tf.dispose([ref, ours, p, b]);
});
