import { EvalsetError, InvalidInputError } from '../errors.ts';

/** Print a result: JSON when asked for, else the human text. */
export function emit(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
}

/** Report an error the way the CLI promises: message and hint on stderr (or JSON on stdout), and the exit code. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof EvalsetError) {
    if (json) {
      const issues = err instanceof InvalidInputError ? err.issues : undefined;
      process.stdout.write(JSON.stringify({ error: err.name, message: err.message, hint: err.hint, issues }, null, 2) + '\n');
    } else {
      process.stderr.write(`evalset: ${err.name}: ${err.message}\nhint: ${err.hint}\n`);
    }
    return err.exitCode;
  }
  process.stderr.write(`evalset: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 2;
}

/** A one-line progress counter on a TTY; silent otherwise (logs stay clean under CI and DVC). */
export function progress(label: string): ((n: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (n) => process.stderr.write(`\r${label}: ${n.toLocaleString('en-US')} records`);
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}
