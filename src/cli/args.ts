// The CLI's flag parser is the library's (src/flags.ts): commands and the library share one parser and
// one set of types, and the library imports nothing from src/cli.
export { UsageError, parseArgs, requireString, formatFlags, normalizeFlagName, suggestFlag } from '../flags.js';
export type { FlagSpec, ParsedArgs, Rename, FlagType, FlagValue } from '../flags.js';
