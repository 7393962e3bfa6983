/** An error whose message is meant for the user as it stands: the CLI prints it as one line, no trace. */
export class CycleGANError extends Error {
  readonly userFacing = true;
}
