/**
 * Errors the CLI reports to users: one line, no stack (unless --debug), and an exit code that tells
 * a script what happened: 2 for a wrong command line, 1 for a failure.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export class CliError extends Error {
  readonly exitCode: number;
  /** `cause` keeps the original error, whose stack --debug prints. */
  constructor(message: string, exitCode = 1, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.exitCode = exitCode;
  }
}
