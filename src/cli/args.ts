// Minimal flag parser: --kebab-case and the official --snake_case spellings are the same flag.

import { CycleGANError } from '../errors.js';

export class UsageError extends CycleGANError {}

export interface FlagSpec {
  /** kebab-case name without dashes */
  name: string;
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  help?: string;
}

export interface ParsedArgs {
  flags: Record<string, string | number | boolean | undefined>;
  positional: string[];
}

export function normalizeFlagName(raw: string): string {
  return raw.replace(/_/g, '-').toLowerCase();
}

/** Parses argv against a spec; unknown flags and bad numbers are UsageErrors naming the flag. */
export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name.toLowerCase(), s]));
  const flags: ParsedArgs['flags'] = {};
  for (const s of specs) flags[s.name] = s.default;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    let key = arg.slice(2);
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    const spec = byName.get(normalizeFlagName(key));
    if (!spec) throw new UsageError(`unknown flag --${key}`);
    if (spec.type === 'boolean') {
      flags[spec.name] = value === undefined ? true : !/^(false|0|no)$/i.test(value);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag --${spec.name} needs a value`);
      value = argv[++i];
    }
    if (spec.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`flag --${spec.name} expects a number, got '${value}'`);
      flags[spec.name] = n;
    } else {
      flags[spec.name] = value;
    }
  }
  return { flags, positional };
}

export function requireString(args: ParsedArgs, name: string): string {
  const v = args.flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing required flag --${name}`);
  return v;
}

/** The flag list of a command's --help: one line per documented flag, with its default. */
export function formatFlags(specs: FlagSpec[]): string {
  return specs
    .filter((s) => s.help)
    .map((s) => `  --${s.name.padEnd(16)} ${s.help}${s.default !== undefined && s.type !== 'boolean' ? ` (default ${String(s.default)})` : ''}`)
    .join('\n');
}
