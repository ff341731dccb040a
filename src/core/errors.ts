/**
 * An error the user can act on. Its message is one line that says what is wrong and what to do;
 * every face prints it as-is, never with a stack trace.
 */
export class WmprofError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = "WmprofError";
  }
}

/** One line for any error: ours as written, anything else with its message only. */
export function describeError(err: unknown): string {
  if (err instanceof WmprofError) return err.message;
  if (err instanceof Error) return `internal error: ${err.message.split("\n")[0]}`;
  return `internal error: ${String(err)}`;
}
