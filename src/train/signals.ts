// SIGINT / SIGTERM during training: the first signal asks the loop to stop after the current step and
// write a checkpoint; a second one exits at once (every file write is atomic, so nothing is left broken).

export interface StopController {
  signal: AbortSignal;
  /** the signal that asked to stop, if any */
  readonly reason: NodeJS.Signals | undefined;
  /** exit status for the reason: 128 + signal number, as shells report it */
  exitCode(): number;
  dispose(): void;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15 };

export function installStopSignals(log: (line: string) => void = (l) => console.error(l)): StopController {
  const ac = new AbortController();
  let reason: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (!reason) {
      reason = sig;
      log(`${sig}: finishing the current step and saving a checkpoint (send it again to quit at once)`);
      ac.abort(sig);
    } else {
      log(`${sig} again: quitting without a new checkpoint; --continue resumes from the last one`);
      process.exit(128 + (SIGNAL_NUMBERS[sig] ?? 1));
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    get reason() {
      return reason;
    },
    exitCode: () => (reason ? 128 + (SIGNAL_NUMBERS[reason] ?? 1) : 0),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
