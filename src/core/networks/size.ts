// The size rule, in one place: which image sizes a network takes, and at which sizes a generator's output
// has exactly its input's size. translate/test/the page check inputs with the first; training (whose cycle
// loss compares an image with its reconstruction) requires the second of its crop, and a crop the discriminator
// can score (the third).
import type { DiscriminatorSpec, GeneratorSpec, NetworkSpec } from './spec.js';

/**
 * The multiple that a network's input width and height must be: U-Nets concatenate each skip with the
 * upsampled inner result, so the size must halve cleanly at every level; other networks take any size.
 */
export function requiredMultiple(spec: NetworkSpec): number {
  if (spec.role !== 'generator') return 1;
  return spec.netG === 'unet_128' ? 2 ** 7 : spec.netG === 'unet_256' ? 2 ** 8 : 1;
}

/**
 * The smallest width and height a generator takes: ResNet generators reflect-pad by 3 at full size and by 1
 * after two stride-2 convolutions, and reflection needs a side longer than the padding.
 */
export function minimumSide(spec: NetworkSpec): number {
  if (spec.role !== 'generator') return 1;
  return spec.netG.startsWith('resnet') ? 5 : 1; // U-Nets: requiredMultiple decides
}

/**
 * The multiple at which a generator's output is exactly its input's size: 2^(stride-2 downsamplings), i.e.
 * 4 for the ResNets (two), 128/256 for the U-Nets. Other sizes go through a ResNet but come out resized.
 */
export function sameSizeMultiple(netG: GeneratorSpec['netG']): number {
  return netG === 'unet_256' ? 256 : netG === 'unet_128' ? 128 : 4;
}

/** The stride-2 layers of a discriminator: basic is the official 3-layer PatchGAN, n_layers has nLayersD, pixel none. */
export function discriminatorLayers(spec: Pick<DiscriminatorSpec, 'netD' | 'nLayersD'>): number {
  return spec.netD === 'basic' ? 3 : spec.netD === 'n_layers' ? spec.nLayersD : 0;
}

/**
 * Whether a discriminator scores an image of this side: undefined when it does, else its layer count and the most
 * layers that would. A PatchGAN's stride-2 convs (k4, p1) each halve the side, then two stride-1 convs (k4, p1)
 * take 1 each: with too many layers its output is empty, which would fail deep inside a conv at the first step.
 * The pixel discriminator (1×1 convs) takes any size.
 */
export function discriminatorTooDeep(spec: Pick<DiscriminatorSpec, 'netD' | 'nLayersD'>, side: number): { layers: number; most: number } | undefined {
  if (spec.netD === 'pixel') return undefined;
  const out = (layers: number) => {
    let s = side;
    for (let i = 0; i < layers; i++) s = Math.floor((s - 2) / 2) + 1;
    return s - 2;
  };
  const layers = discriminatorLayers(spec);
  if (out(layers) >= 1) return undefined;
  let most = 0;
  while (most < layers && out(most + 1) >= 1) most++;
  return { layers, most };
}
