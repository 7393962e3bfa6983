// The CLI's flag parser is the library's (src/flags.ts, through the public API): commands and the library share
// one parser and one set of types, and the library imports nothing from src/cli.
import { OFFICIAL_BASE, parseCommandArgs, type FlagSpec, type ParsedArgs } from '../index.js';

export { UsageError, parseArgs, requireString, formatFlags, normalizeFlagName, suggestFlag } from '../index.js';
export type { FlagSpec, ParsedArgs, Rename, FlagType, FlagValue } from '../index.js';

/**
 * Flags several commands share that are not options of the official code (those are the option table's,
 * src/train/options.ts, picked with pickOptions): declared here once, each command lists the ones it takes.
 */
const COMMON_FLAGS = {
  'cache-dir': { name: 'cache-dir', type: 'string', help: 'cache folder (default $CYCLEGAN_CACHE or ~/.cache/cyclegan)' },
  mirror: { name: 'mirror', type: 'string', help: `official datasets and models: base URL or local folder instead of ${OFFICIAL_BASE} (or $CYCLEGAN_MIRROR)` },
  help: { name: 'help', type: 'boolean', default: false },
} satisfies Record<string, FlagSpec>;

/** The named shared flags, in the order given. */
export function commonFlags(...names: Array<keyof typeof COMMON_FLAGS>): FlagSpec[] {
  return names.map((n) => COMMON_FLAGS[n] as FlagSpec);
}

/** The parser's notes (older spellings, ignored official options), one line each on stderr. */
export function printNotes(args: ParsedArgs, log: (line: string) => void = (l) => console.error(l)): void {
  for (const n of args.notes) log(`cyclegan: ${n}`);
}

/**
 * A command's start: argv parsed against its flags by the one command parser (parseCommandArgs), then either its
 * help printed (--help: undefined, the command returns 0) or the parser's notes printed and the flags returned.
 */
export function parseCommand(argv: readonly string[], specs: readonly FlagSpec[], command: string, help: () => string): ParsedArgs | undefined {
  const args = parseCommandArgs(argv, specs, command);
  if (args.flags.help) {
    console.log(help());
    return undefined;
  }
  printNotes(args);
  return args;
}
