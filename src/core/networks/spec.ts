// Network specifications: the official options that define an architecture, as plain data.
import { ARCH_BOUNDS } from '../limits.js';

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
  // A spec may come from a file: it can be anything JSON allows (null, an array, '__proto__' names, 1e9).
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return 'the architecture is not an object';
  const upTo = (v: unknown, max: number) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= max;
  const has = (list: readonly string[], v: unknown) => typeof v === 'string' && list.includes(v);
  if (!has(NORM_TYPES, spec.norm)) return `unknown norm '${String(spec.norm)}' (instance, batch, none)`;
  if (!upTo(spec.inputNc, ARCH_BOUNDS.channels)) return `input_nc must be a whole number from 1 to ${ARCH_BOUNDS.channels}, got ${String(spec.inputNc)}`;
  if (spec.role === 'generator') {
    if (!has(GENERATOR_NAMES, spec.netG)) return `unknown netG '${String(spec.netG)}' (${GENERATOR_NAMES.join(', ')})`;
    if (!upTo(spec.outputNc, ARCH_BOUNDS.channels)) return `output_nc must be a whole number from 1 to ${ARCH_BOUNDS.channels}, got ${String(spec.outputNc)}`;
    if (!upTo(spec.ngf, ARCH_BOUNDS.width)) return `ngf must be a whole number from 1 to ${ARCH_BOUNDS.width}, got ${String(spec.ngf)}`;
    if (spec.useDropout !== undefined && typeof spec.useDropout !== 'boolean') return 'useDropout must be true or false';
    return undefined;
  }
  if (spec.role === 'discriminator') {
    if (!has(DISCRIMINATOR_NAMES, spec.netD)) return `unknown netD '${String(spec.netD)}' (${DISCRIMINATOR_NAMES.join(', ')})`;
    if (!upTo(spec.ndf, ARCH_BOUNDS.width)) return `ndf must be a whole number from 1 to ${ARCH_BOUNDS.width}, got ${String(spec.ndf)}`;
    if (spec.netD === 'n_layers' && !upTo(spec.nLayersD, ARCH_BOUNDS.nLayersD)) return `n_layers_D must be a whole number from 1 to ${ARCH_BOUNDS.nLayersD}, got ${String(spec.nLayersD)}`;
    return undefined;
  }
  return `unknown network role '${(spec as { role: unknown }).role}'`;
}
