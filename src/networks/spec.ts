// Network specifications: the official options that define an architecture, as plain data.

export type NormType = 'instance' | 'batch' | 'none';
export type GeneratorName = 'resnet_6blocks' | 'resnet_9blocks' | 'unet_128' | 'unet_256';
export type DiscriminatorName = 'basic' | 'n_layers' | 'pixel';

export interface GeneratorSpec {
  role: 'generator';
  netG: GeneratorName;
  inputNc: number;
  outputNc: number;
  ngf: number;
  norm: NormType;
  useDropout: boolean;
}

export interface DiscriminatorSpec {
  role: 'discriminator';
  netD: DiscriminatorName;
  inputNc: number;
  ndf: number;
  nLayersD: number;
  norm: NormType;
}

export type NetworkSpec = GeneratorSpec | DiscriminatorSpec;

export const GENERATOR_NAMES: readonly GeneratorName[] = ['resnet_6blocks', 'resnet_9blocks', 'unet_128', 'unet_256'];
export const DISCRIMINATOR_NAMES: readonly DiscriminatorName[] = ['basic', 'n_layers', 'pixel'];
export const NORM_TYPES: readonly NormType[] = ['instance', 'batch', 'none'];

/** The layers as data: `Network.apply` interprets them, exporters walk them. */
export type Layer =
  | { op: 'reflectPad'; pad: number }
  | { op: 'conv2d'; key: string; inC: number; outC: number; k: number; stride: number; pad: number; bias: boolean }
  | { op: 'convTranspose2d'; key: string; inC: number; outC: number; k: number; stride: number; pad: number;
      outputPad: number; bias: boolean }
  | { op: 'instanceNorm'; channels: number; eps: number }
  | { op: 'batchNorm'; key: string; channels: number; eps: number }
  | { op: 'relu' }
  | { op: 'leakyRelu'; alpha: number }
  | { op: 'tanh' }
  | { op: 'identity' }
  | { op: 'dropout'; rate: number }
  | { op: 'residual'; body: Layer[] }
  | { op: 'skip'; body: Layer[] };

/** Checks a spec from a file or the command line; the message names what is wrong. */
export function validateSpec(spec: NetworkSpec): string | undefined {
  const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!NORM_TYPES.includes(spec.norm)) return `unknown norm '${spec.norm}' (instance, batch, none)`;
  if (!posInt(spec.inputNc)) return `input_nc must be a positive integer`;
  if (spec.role === 'generator') {
    if (!GENERATOR_NAMES.includes(spec.netG)) return `unknown netG '${spec.netG}' (${GENERATOR_NAMES.join(', ')})`;
    if (!posInt(spec.outputNc)) return `output_nc must be a positive integer`;
    if (!posInt(spec.ngf)) return `ngf must be a positive integer`;
    return undefined;
  }
  if (spec.role === 'discriminator') {
    if (!DISCRIMINATOR_NAMES.includes(spec.netD)) return `unknown netD '${spec.netD}' (${DISCRIMINATOR_NAMES.join(', ')})`;
    if (!posInt(spec.ndf)) return `ndf must be a positive integer`;
    if (spec.netD === 'n_layers' && !posInt(spec.nLayersD)) return `n_layers_D must be a positive integer`;
    return undefined;
  }
  return `unknown network role '${(spec as { role: unknown }).role}'`;
}
