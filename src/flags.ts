// The flag parser every command uses (and the library, which must not import the CLI): --kebab-case and
// the official --snake_case spellings are the same flag; older official spellings are renamed with a note;
// flags the official code has but that mean nothing here are accepted with a note saying why; every
// unknown flag is reported at once, each with a "did you mean".
import { CycleGANError } from './core/errors.js';
import { checkFlagValue, parseDecimal } from './core/limits.js';

/** A mistake on the command line: one line, exit 2. */
export class UsageError extends CycleGANError {}

export type FlagType = 'string' | 'number' | 'boolean';

export interface FlagSpec {
  /** kebab-case name without dashes (official names keep their capitals: netG, n-layers-D) */
  name: string;
  type: FlagType;
  default?: string | number | boolean;
  help?: string;
  /** the official snake_case name, when the official code has this option */
  official?: string;
  choices?: readonly string[];
  /** accepted but without effect here; the reason is printed once when the flag is given */
  ignored?: string;
  /** other accepted names (normalized like `name`) */
  aliases?: readonly string[];
}

/** An older official spelling: `--niter` is now `--n_epochs`. */
export interface Rename {
  from: string;
  to: string;
  /** what changed, shown in the note */
  note?: string;
  /** an old switch that now is a value of another flag (--no_lsgan = --gan_mode vanilla) */
  value?: string | number | boolean;
}

export type FlagValue = string | number | boolean | undefined;

export interface ParsedArgs {
  /** every spec's value: the given one, else its default */
  flags: Record<string, FlagValue>;
  /** names (spec.name) given on the command line */
  given: Set<string>;
  positional: string[];
  /** one line each: renamed and ignored flags */
  notes: string[];
}

export function normalizeFlagName(raw: string): string {
  return raw.replace(/_/g, '-').toLowerCase();
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The closest known flag to a mistyped one, if any is close enough. */
export function suggestFlag(typed: string, specs: readonly FlagSpec[]): string | undefined {
  const t = normalizeFlagName(typed);
  let best: string | undefined;
  let bestD = Infinity;
  for (const s of specs) {
    for (const n of [s.name, ...(s.aliases ?? [])]) {
      const c = normalizeFlagName(n);
      const dd = c.startsWith(t) || t.startsWith(c) ? Math.min(distance(t, c), 2) : distance(t, c);
      if (dd < bestD) {
        bestD = dd;
        best = s.official ?? s.name;
      }
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(t.length / 3)) ? best : undefined;
}

function parseNumber(spec: FlagSpec, value: string): number {
  const v = value.trim();
  // Strict decimal (Number() would read '0x10' as 16 and '1e400' as Infinity); Infinity only when spelled out.
  const n = /^(inf|infinity)$/i.test(v) ? Infinity : parseDecimal(v);
  if (n === undefined) throw new UsageError(`flag --${spec.name} expects a number, got '${value}'`);
  checkFlagValue(spec.name, n);
  return n;
}

/**
 * Parses argv against specs. Unknown flags are collected and reported together (with suggestions) in
 * one UsageError; a value that follows an unknown flag is taken as its value, not as a positional.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[],
                          opts: { renames?: readonly Rename[]; command?: string; elsewhere?: { specs: readonly FlagSpec[]; where: string } } = {}): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(normalizeFlagName(s.name), s);
    for (const a of s.aliases ?? []) byName.set(normalizeFlagName(a), s);
  }
  const renames = new Map((opts.renames ?? []).map((r) => [normalizeFlagName(r.from), r]));
  const flags: ParsedArgs['flags'] = {};
  for (const s of specs) flags[s.name] = s.default;
  const given = new Set<string>();
  const positional: string[] = [];
  const notes: string[] = [];
  const unknown: string[] = [];
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
    let spec = byName.get(normalizeFlagName(key));
    if (!spec) {
      const r = renames.get(normalizeFlagName(key));
      if (r) spec = byName.get(normalizeFlagName(r.to));
      if (r && spec) {
        const now = `--${spec.official ?? spec.name}${r.value !== undefined ? ` ${String(r.value)}` : ''}`;
        notes.push(`--${key} is the older spelling of ${now}${r.note ? ` (${r.note})` : ''}; using it as such`);
        if (r.value !== undefined) {
          flags[spec.name] = r.value;
          given.add(spec.name);
          continue;
        }
      }
    }
    if (!spec) {
      unknown.push(key);
      if (value === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('--')) i++;
      continue;
    }
    if (spec.type === 'boolean') {
      flags[spec.name] = value === undefined ? true : !/^(false|0|no)$/i.test(value);
    } else {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`flag --${spec.name} needs a value`);
        value = argv[++i];
      }
      if (spec.type === 'string') checkFlagValue(spec.name, value);
      flags[spec.name] = spec.type === 'number' ? parseNumber(spec, value) : value;
    }
    if (spec.ignored && !given.has(spec.name)) notes.push(`--${key} is accepted and ignored: ${spec.ignored}`);
    given.add(spec.name);
  }
  if (unknown.length) {
    const other = new Set((opts.elsewhere?.specs ?? []).flatMap((s) => [s.name, ...(s.aliases ?? [])].map(normalizeFlagName)));
    const parts = unknown.map((k) => {
      if (other.has(normalizeFlagName(k))) return `--${k} (${opts.elsewhere!.where})`;
      const s = suggestFlag(k, specs);
      return `--${k}${s ? ` (did you mean --${s}?)` : ''}`;
    });
    const help = opts.command ? `; see cyclegan ${opts.command} --help` : '';
    throw new UsageError(`unknown flag${unknown.length > 1 ? 's' : ''} ${parts.join(', ')}${help}`);
  }
  return { flags, given, positional, notes };
}

export function requireString(args: ParsedArgs, name: string): string {
  const v = args.flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing required flag --${name}`);
  return v;
}

/** The flag list of a command's --help: one line per documented flag, with its default. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  return specs
    .filter((s) => s.help)
    .map((s) => {
      const ch = s.choices ? ` [${s.choices.join('|')}]` : '';
      // a switch is off unless given; one that is on by default (--no-dropout of the CycleGAN model) says so
      const def = s.default !== undefined && (s.type !== 'boolean' || s.default === true) ? ` (default ${String(s.default)})` : '';
      return `  --${s.name.padEnd(18)} ${s.ignored ? `accepted, ignored: ${s.ignored}` : `${s.help}${ch}${def}`}`;
    })
    .join('\n');
}
