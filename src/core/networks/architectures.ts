// The official architectures (models/networks.py) as layer lists. Each builder mirrors the order of the
// official nn.Sequential, so a layer's position gives the official state_dict key ('model.4.weight').
import type { DiscriminatorSpec, GeneratorSpec, Layer, NetworkSpec, NormType } from './spec.js';
import { discriminatorLayers } from './size.js';

const EPS = 1e-5;

/** Collects layers with their nn.Sequential index; `key(i)` is the parameter prefix of entry i. */
class Sequential {
  readonly layers: Layer[] = [];
  constructor(readonly prefix: string) {}
  get next(): string {
    return `${this.prefix}.${this.layers.length}`;
  }
  push(make: (key: string) => Layer): this {
    this.layers.push(make(this.next));
    return this;
  }
}

/** The official rule: convs before an InstanceNorm get a bias; before BatchNorm or no norm they do not. */
function convBias(norm: NormType): boolean {
  return norm === 'instance';
}

function normLayer(norm: NormType, channels: number): (key: string) => Layer {
  if (norm === 'instance') return () => ({ op: 'instanceNorm', channels, eps: EPS });
  if (norm === 'batch') return (key) => ({ op: 'batchNorm', key, channels, eps: EPS });
  return () => ({ op: 'identity' });
}

function conv(inC: number, outC: number, k: number, stride: number, pad: number, bias: boolean): (key: string) => Layer {
  return (key) => ({ op: 'conv2d', key, inC, outC, k, stride, pad, bias });
}

function convT(inC: number, outC: number, k: number, stride: number, pad: number, outputPad: number,
               bias: boolean): (key: string) => Layer {
  return (key) => ({ op: 'convTranspose2d', key, inC, outC, k, stride, pad, outputPad, bias });
}

const relu = (): Layer => ({ op: 'relu' });
const leaky = (): Layer => ({ op: 'leakyRelu', alpha: 0.2 });

/** ResnetGenerator (Johnson et al.): c7s1-ngf, d2ngf, d4ngf, n residual blocks, u2ngf, ungf, c7s1-out, tanh. */
function resnetGenerator(spec: GeneratorSpec, nBlocks: number): Layer[] {
  const { inputNc, outputNc, ngf, norm, useDropout } = spec;
  const bias = convBias(norm);
  const s = new Sequential('model');
  s.push(() => ({ op: 'reflectPad', pad: 3 }))
    .push(conv(inputNc, ngf, 7, 1, 0, bias)).push(normLayer(norm, ngf)).push(relu);
  for (let i = 0; i < 2; i++) {
    const mult = 2 ** i;
    s.push(conv(ngf * mult, ngf * mult * 2, 3, 2, 1, bias)).push(normLayer(norm, ngf * mult * 2)).push(relu);
  }
  const dim = ngf * 4;
  for (let i = 0; i < nBlocks; i++) {
    s.push((key) => {
      const b = new Sequential(`${key}.conv_block`);
      b.push(() => ({ op: 'reflectPad', pad: 1 })).push(conv(dim, dim, 3, 1, 0, bias)).push(normLayer(norm, dim)).push(relu);
      if (useDropout) b.push(() => ({ op: 'dropout', rate: 0.5 }));
      b.push(() => ({ op: 'reflectPad', pad: 1 })).push(conv(dim, dim, 3, 1, 0, bias)).push(normLayer(norm, dim));
      return { op: 'residual', body: b.layers };
    });
  }
  for (let i = 0; i < 2; i++) {
    const mult = 2 ** (2 - i);
    s.push(convT(ngf * mult, (ngf * mult) / 2, 3, 2, 1, 1, bias)).push(normLayer(norm, (ngf * mult) / 2)).push(relu);
  }
  s.push(() => ({ op: 'reflectPad', pad: 3 })).push(conv(ngf, outputNc, 7, 1, 0, true)).push(() => ({ op: 'tanh' }));
  return s.layers;
}

/**
 * UnetGenerator: nested UnetSkipConnectionBlocks, built from the innermost block outwards as the
 * official code does. Every block but the outermost concatenates its input with its output.
 */
function unetGenerator(spec: GeneratorSpec, numDowns: number): Layer[] {
  const { inputNc, outputNc, ngf, norm, useDropout } = spec;
  const bias = convBias(norm);
  type Block = (prefix: string) => Layer[];
  const block = (outerNc: number, innerNc: number, inNc: number | undefined, sub: Block | undefined,
                 kind: 'outermost' | 'innermost' | 'middle', dropout: boolean): Block => (prefix) => {
    const input = inNc ?? outerNc;
    const s = new Sequential(`${prefix}.model`);
    if (kind === 'outermost') {
      s.push(conv(input, innerNc, 4, 2, 1, bias));
      s.push((key) => ({ op: 'skip', body: sub!(key) }));
      s.push(relu).push(convT(innerNc * 2, outerNc, 4, 2, 1, 0, true)).push(() => ({ op: 'tanh' }));
    } else if (kind === 'innermost') {
      s.push(leaky).push(conv(input, innerNc, 4, 2, 1, bias));
      s.push(relu).push(convT(innerNc, outerNc, 4, 2, 1, 0, bias)).push(normLayer(norm, outerNc));
    } else {
      s.push(leaky).push(conv(input, innerNc, 4, 2, 1, bias)).push(normLayer(norm, innerNc));
      s.push((key) => ({ op: 'skip', body: sub!(key) }));
      s.push(relu).push(convT(innerNc * 2, outerNc, 4, 2, 1, 0, bias)).push(normLayer(norm, outerNc));
      if (dropout) s.push(() => ({ op: 'dropout', rate: 0.5 }));
    }
    return s.layers;
  };
  let b = block(ngf * 8, ngf * 8, undefined, undefined, 'innermost', false);
  for (let i = 0; i < numDowns - 5; i++) b = block(ngf * 8, ngf * 8, undefined, b, 'middle', useDropout);
  b = block(ngf * 4, ngf * 8, undefined, b, 'middle', false);
  b = block(ngf * 2, ngf * 4, undefined, b, 'middle', false);
  b = block(ngf, ngf * 2, undefined, b, 'middle', false);
  return block(outputNc, ngf, inputNc, b, 'outermost', false)('model');
}

/** NLayerDiscriminator: the 70×70 PatchGAN when nLayers = 3. */
function nLayerDiscriminator(spec: DiscriminatorSpec, nLayers: number): Layer[] {
  const { inputNc, ndf, norm } = spec;
  const bias = convBias(norm);
  const s = new Sequential('model');
  s.push(conv(inputNc, ndf, 4, 2, 1, true)).push(leaky);
  let mult = 1;
  for (let n = 1; n < nLayers; n++) {
    const prev = mult;
    mult = Math.min(2 ** n, 8);
    s.push(conv(ndf * prev, ndf * mult, 4, 2, 1, bias)).push(normLayer(norm, ndf * mult)).push(leaky);
  }
  const prev = mult;
  mult = Math.min(2 ** nLayers, 8);
  s.push(conv(ndf * prev, ndf * mult, 4, 1, 1, bias)).push(normLayer(norm, ndf * mult)).push(leaky);
  s.push(conv(ndf * mult, 1, 4, 1, 1, true));
  return s.layers;
}

/** PixelDiscriminator: a 1×1 PatchGAN. */
function pixelDiscriminator(spec: DiscriminatorSpec): Layer[] {
  const { inputNc, ndf, norm } = spec;
  const bias = convBias(norm);
  const s = new Sequential('net');
  s.push(conv(inputNc, ndf, 1, 1, 0, true)).push(leaky)
    .push(conv(ndf, ndf * 2, 1, 1, 0, bias)).push(normLayer(norm, ndf * 2)).push(leaky)
    .push(conv(ndf * 2, 1, 1, 1, 0, bias));
  return s.layers;
}

export function buildLayers(spec: NetworkSpec): Layer[] {
  if (spec.role === 'generator') {
    switch (spec.netG) {
      case 'resnet_6blocks': return resnetGenerator(spec, 6);
      case 'resnet_9blocks': return resnetGenerator(spec, 9);
      case 'unet_128': return unetGenerator(spec, 7);
      case 'unet_256': return unetGenerator(spec, 8);
    }
  } else {
    switch (spec.netD) {
      case 'basic':
      case 'n_layers': return nLayerDiscriminator(spec, discriminatorLayers(spec));
      case 'pixel': return pixelDiscriminator(spec);
    }
  }
  throw new Error(`unknown network ${JSON.stringify(spec)}`);
}

/** Every layer, depth first (for walking parameters). */
export function* walkLayers(layers: Layer[]): Generator<Layer> {
  for (const l of layers) {
    yield l;
    if (l.op === 'residual' || l.op === 'skip') yield* walkLayers(l.body);
  }
}
