/**
 * The built-in apps' client secrets in the emulator, made on this machine rather than written in
 * the repository. A secret anyone can read is no secret: with it, and Entra's rule that a loopback
 * redirect URI matches on any port, any local process could start a sign-in as a sample, get a code
 * from the user's SSO session and redeem it. So each checkout has a random key of its own, in a
 * git-ignored file only its owner can read (0600), and each built-in app's secret is derived from
 * it (HMAC with the client id). Every process of the checkout (`npm start`, `npm run sample:<name>`
 * in several terminals, `npm run emulator`, the tests) reads the same file, so the samples of one
 * and the emulator of another agree. A file that is a symbolic link, belongs to another user, or
 * that others may read or write is refused, not read: its key could be known, or chosen, by
 * someone else.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the key lives unless EMULATOR_KEY_FILE says otherwise: the checkout's root. */
export const DEFAULT_EMULATOR_KEY_FILE = fileURLToPath(
  new URL('../../.emulator-key', import.meta.url),
);

/** 32 random bytes, base64url: what this module writes, and all it accepts. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** What a reader may see while another process writes the file: nothing yet, or part of a key. */
const BEING_WRITTEN = /^[A-Za-z0-9_-]{0,42}$/;

/**
 * The file cannot be used: it holds something else than a key this module made, or someone else
 * than its owner could have written or read it. The message says what to do, never the content.
 */
export class KeyFileError extends Error {}

/**
 * The key in `file`, made first if there is none: created exclusively (`wx`, 0600), so that of two
 * processes racing, one makes it and the other reads it. A process that reads it while it is
 * being written finds it empty or short, and reads it again (`readKey`).
 */
export function readOrCreateEmulatorKey(file: string): string {
  const existing = readKey(file);
  if (existing !== undefined) return existing;
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readKey(file) ?? readOrCreateEmulatorKey(file);
}

/** The key, or `undefined` when there is no file. */
function readKey(file: string): string | undefined {
  for (let attempt = 0; ; attempt++) {
    let text: string;
    try {
      text = readOwnFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    // Another process may be writing it: wait for it, a second at most.
    if (!BEING_WRITTEN.test(text) || attempt === 20) return keyIn(text);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/**
 * The file's content, if it is a regular file of this user that no one else may read or write:
 * a key another user could have put there, or read, is no key of this checkout's.
 */
function readOwnFile(file: string): string {
  // A symbolic link could lead anywhere; O_NOFOLLOW refuses one that appears after this check.
  if (lstatSync(file).isSymbolicLink()) {
    throw new KeyFileError(
      'it is a symbolic link; put the key file itself there, or delete the link and a new key is made',
    );
  }
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const stat = fstatSync(fd);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      throw new KeyFileError(
        `it belongs to another user (uid ${stat.uid}); delete it, and a new one is made`,
      );
    }
    // Windows reports no such bits.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new KeyFileError(
        `others than its owner may read or write it (mode ${mode}); make it readable by its owner only (chmod 600), or name a file elsewhere if this file system keeps no permissions`,
      );
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function keyIn(text: string): string {
  const key = text.trim();
  if (!KEY_PATTERN.test(key)) {
    throw new KeyFileError(
      'it holds no key made by this project; delete it, and a new one is made',
    );
  }
  return key;
}

/** A built-in app's client secret: the key's HMAC of its client id. */
export function builtInClientSecret(key: string, clientId: string): string {
  return createHmac('sha256', key).update(clientId).digest('base64url');
}
