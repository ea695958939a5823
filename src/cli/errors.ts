/**
 * Errors the CLI raises itself. Both are UserErrors (tracer/errors.ts), which `main` reports as one
 * line with their exit code: 2 for a wrong command line, 1 for a failure.
 */
import { UserError } from '../../tracer/errors.js';

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
  }
}

export class CliError extends UserError {
  /** `cause` keeps the original error, whose stack --debug prints. */
  constructor(message: string, exitCode = 1, cause?: unknown) {
    super(message, { exitCode, cause });
  }
}
