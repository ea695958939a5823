/**
 * Errors the CLI reports to users: one line, no stack (unless --debug), and an exit code that tells
 * a script what happened: 2 for a wrong command line, 1 for a failure.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
