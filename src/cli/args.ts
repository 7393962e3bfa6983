// The CLI's flag parser is the library's (src/flags.ts, through the public API): commands and the library share
// one parser and one set of types, and the library imports nothing from src/cli.
export { UsageError, parseArgs, requireString, formatFlags, normalizeFlagName, suggestFlag } from '../index.js';
export type { FlagSpec, ParsedArgs, Rename, FlagType, FlagValue } from '../index.js';
