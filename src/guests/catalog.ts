/** The committed guest binaries (src/guests/bin), by name. Tests and scenarios load them from here. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/guests/bin, found from the sources or from the build (dist/src/guests). */
export function guestBinDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'src', 'guests', 'bin');
    if (existsSync(candidate)) return candidate;
    const here = join(dir, 'bin');
    if (existsSync(here) && dir.endsWith(join('src', 'guests'))) return here;
    dir = dirname(dir);
  }
  throw new Error('src/guests/bin not found');
}

export function committedGuests(): string[] {
  return readdirSync(guestBinDir())
    .filter((f) => !f.includes('.'))
    .sort();
}

export function hasCommittedGuest(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name) && existsSync(join(guestBinDir(), name));
}

export function loadCommittedGuest(name: string): Uint8Array {
  if (!hasCommittedGuest(name)) throw new Error(`no committed guest program named ${JSON.stringify(name)} (have: ${committedGuests().join(', ')})`);
  return readFileSync(join(guestBinDir(), name));
}

/**
 * Guests a program starts by name (execve of bin/<name>): they must be in the machine's /bin, so a
 * scenario running the program loads them too.
 */
export const GUEST_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  exec: ['hello', 'echo'],
  sh: ['echo', 'upcase', 'wc', 'hello', 'faults-ud2'],
};

/** A program and everything it may execve. */
export function withDependencies(program: string, extra: readonly string[] = []): string[] {
  return [...new Set([program, ...(GUEST_DEPENDENCIES[program] ?? []), ...extra])];
}
