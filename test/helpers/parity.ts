// The reference-fixture parity checks (network outputs and gradients; two CycleGAN training steps), shared
// by the parity tests on the default backend and on webgpu. Results are read asynchronously, as webgpu
// in Node requires.
import assert from 'node:assert/strict';
import { tf } from '../../src/core/tf.js';
import { CycleGANModel, LOSS_NAMES, defaultCycleGANOptions, discriminatorSpecs, disposeLosses, generatorSpecs, readLosses,
  type CycleGANOptions } from '../../src/core/model.js';
import { tfToTorchLayout, torchToTfLayout, type Layer, type NetworkSpec } from '../../src/core/networks/index.js';
import { networkFromStateDict } from '../../src/weights/network_file.js';
import { loadFixture, manifest, maxAbs, nchwToNhwc, nhwcToNchwDataAsync, relativeError, withPrefix } from './fixtures.js';

const FORWARD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

export function specFor(cfg: Record<string, unknown>): NetworkSpec {
  const norm = cfg.norm as 'instance';
  if (cfg.netG) {
    return { role: 'generator', netG: cfg.netG as 'resnet_6blocks', inputNc: 3, outputNc: 3, ngf: cfg.ngf as number, norm, useDropout: false };
  }
  return { role: 'discriminator', netD: cfg.netD as 'basic', inputNc: 3, ndf: cfg.ndf as number, nLayersD: (cfg.n_layers_D as number) ?? 3, norm };
}

export async function checkFixture(name: string): Promise<void> {
  const cfg = manifest().fixtures[name];
  const tensors = loadFixture(name);
  const net = networkFromStateDict(specFor(cfg), withPrefix(tensors, 'param.'), undefined, name);
  try {
    const x = tf.variable(nchwToNhwc(tensors.get('input')!));
    const probe = nchwToNhwc(tensors.get('probe')!);
    const out = net.apply(x);
    const errOut = relativeError(await nhwcToNchwDataAsync(out), tensors.get('output')!.data);
    assert.ok(errOut < FORWARD_TOL, `${name}: forward output differs (rel ${errOut})`);
    out.dispose();
    const vars = [x, ...net.trainableVariables()];
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), probe)) as tf.Scalar, vars);
    const gx = grads[x.name];
    const errIn = relativeError(await nhwcToNchwDataAsync(gx), tensors.get('grad_input')!.data);
    assert.ok(errIn < GRAD_TOL, `${name}: grad wrt input rel err ${errIn}`);
    for (const [key, v] of net.params) {
      const ref = tensors.get(`grad.${key}`);
      assert.ok(ref, `${name}: fixture lacks grad.${key}`);
      const g = tfToTorchLayout(grads[v.name]);
      // A conv bias right before an instance norm has a true gradient of zero; PyTorch's value is float
      // noise, so such errors are measured against the scale of the same layer's weight gradient.
      const sibling = tensors.get(`grad.${key.replace(/\.bias$/, '.weight')}`);
      const floor = key.endsWith('.bias') && sibling ? 1e-2 * maxAbs(sibling.data) : 1e-12;
      const err = relativeError(await g.data(), ref.data, floor);
      g.dispose();
      assert.ok(err < GRAD_TOL, `${name}: grad of ${key} rel err ${err}`);
    }
    tf.dispose([x, probe, ...Object.values(grads)]);
  } finally {
    net.dispose();
  }
}

export const GENERATORS = ['resnet_6blocks_ngf8', 'resnet_9blocks_ngf4_batch2', 'unet_128_ngf4'];
export const DISCRIMINATORS = ['patchgan_basic_ndf8', 'patchgan_nlayers2_ndf8', 'pixelgan_ndf8'];
function optionsFrom(cfg: Record<string, unknown>): CycleGANOptions {
  return {
    ...defaultCycleGANOptions(),
    inputNc: cfg.input_nc as number, outputNc: cfg.output_nc as number, ngf: cfg.ngf as number, ndf: cfg.ndf as number,
    netG: cfg.netG as 'resnet_6blocks', netD: cfg.netD as 'basic', nLayersD: cfg.n_layers_D as number, norm: cfg.norm as 'instance',
    noDropout: cfg.no_dropout as boolean, ganMode: cfg.gan_mode as 'lsgan', lambdaA: cfg.lambda_A as number,
    lambdaB: cfg.lambda_B as number, lambdaIdentity: cfg.lambda_identity as number, poolSize: cfg.pool_size as number,
    lr: cfg.lr as number, beta1: cfg.beta1 as number,
  };
}

/** Keys of conv biases whose output goes straight into an instance norm. */
function biasesBeforeInstanceNorm(layers: Layer[], out = new Set<string>()): Set<string> {
  layers.forEach((l, i) => {
    const next = layers[i + 1];
    if ((l.op === 'conv2d' || l.op === 'convTranspose2d') && l.bias && next?.op === 'instanceNorm') out.add(`${l.key}.bias`);
    if (l.op === 'residual' || l.op === 'skip') biasesBeforeInstanceNorm(l.body, out);
  });
  return out;
}

export const TRAINING_FIXTURES = ['cyclegan_lsgan_2steps', 'cyclegan_vanilla_noidt_2steps'];

export async function runFixture(name: string): Promise<void> {
  const fx = manifest().fixtures[name];
  const tensors = loadFixture(name);
  const opts = optionsFrom(fx.config);
  const g = generatorSpecs(opts);
  const d = discriminatorSpecs(opts);
  const nets = {
    G_A: networkFromStateDict(g.G_A, withPrefix(tensors, 'init.G_A.')), G_B: networkFromStateDict(g.G_B, withPrefix(tensors, 'init.G_B.')),
    D_A: networkFromStateDict(d.D_A, withPrefix(tensors, 'init.D_A.')), D_B: networkFromStateDict(d.D_B, withPrefix(tensors, 'init.D_B.')),
  };
  const model = CycleGANModel.fromNetworks(opts, nets);
  const realA = nchwToNhwc(tensors.get('real_A')!);
  const realB = nchwToNhwc(tensors.get('real_B')!);
  try {
    for (let step = 1; step <= fx.steps; step++) {
      // Fakes and reconstructions of step N come from the weights before update N.
      const vis = model.visuals(realA, realB);
      for (const [ours, theirs] of [['fake_B', 'fake_B'], ['fake_A', 'fake_A'], ['rec_A', 'rec_A'], ['rec_B', 'rec_B']] as const) {
        const err = relativeError(await nhwcToNchwDataAsync(vis[ours]), tensors.get(`step${step}.${theirs}`)!.data);
        assert.ok(err < 1e-4, `${name} step ${step}: ${theirs} rel err ${err}`);
      }
      tf.dispose(Object.values(vis));
      // step() + an asynchronous read: what the trainer does, and the only read webgpu allows in Node.
      const lossTensors = model.step(realA, realB);
      const losses = await readLosses(lossTensors);
      disposeLosses(lossTensors);
      const expected = fx.losses_per_step[step - 1] as Record<string, number>;
      for (const k of LOSS_NAMES) {
        const diff = Math.abs(losses[k] - expected[k]);
        assert.ok(diff <= 1e-4 * Math.max(1, Math.abs(expected[k])), `${name} step ${step}: loss ${k} = ${losses[k]}, official ${expected[k]}`);
      }
      let totalOff = 0;
      let total = 0;
      for (const [netName, net] of Object.entries(model.nets)) {
        const cancelled = biasesBeforeInstanceNorm(net.layers);
        for (const [key, v] of net.params) {
          const ref = tensors.get(`step${step}.${netName}.${key}`);
          assert.ok(ref, `fixture lacks step${step}.${netName}.${key}`);
          // A bias feeding an instance norm is subtracted out again: its true gradient is zero and both
          // implementations only see float noise there, which Adam turns into ±lr steps of random sign.
          if (cancelled.has(key)) continue;
          const w = tfToTorchLayout(v);
          const ours = await w.data();
          w.dispose();
          // Adam moves each weight by about ±lr on its first steps whatever the gradient's size, so
          // weights are compared in units of lr. Its second step divides moments that nearly cancel where
          // the gradient changed sign, which magnifies float differences ten-fold and more: an element is
          // off beyond 0.02 lr (step 1) or 0.2 lr (step 2); at most 2% of a tensor and 0.5% of all weights
          // may be off, and none by more than two steps.
          let off = 0;
          let worst = 0;
          for (let i = 0; i < ours.length; i++) {
            const e = Math.abs(ours[i] - ref.data[i]) / opts.lr;
            worst = Math.max(worst, e);
            if (e > (step === 1 ? 0.02 : 0.2)) off++;
          }
          totalOff += off;
          total += ours.length;
          assert.ok(off <= Math.max(1, 0.02 * ours.length) && worst < 2 * 1.34,
            `${name} step ${step}: ${netName}.${key}: ${off} of ${ours.length} elements off (worst ${worst.toFixed(3)} lr)`);
        }
      }
      assert.ok(totalOff <= 0.005 * total, `${name} step ${step}: ${totalOff} of ${total} weights off`);
      // The next step starts from the official weights (our optimizer moments carry on), so an element
      // flipped by float noise above cannot snowball through the L1 loss's sign-valued gradient.
      for (const [netName, net] of Object.entries(model.nets)) {
        for (const [key, v] of net.params) {
          const ref = tensors.get(`step${step}.${netName}.${key}`)!;
          tf.tidy(() => v.assign(torchToTfLayout(tf.tensor(ref.data, ref.shape)) as tf.Variable));
        }
      }
    }
  } finally {
    tf.dispose([realA, realB]);
    model.dispose();
  }
}
