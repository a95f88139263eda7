/**
 * The built-in apps' client secrets in the emulator, made on this machine rather than written in
 * the repository. A secret anyone can read is no secret: with it, and Entra's rule that a loopback
 * redirect URI matches on any port, any local process could start a sign-in as a sample, get a code
 * from the user's SSO session and redeem it. So each checkout has a random key of its own, in a
 * git-ignored file only its owner can read (0600), and each built-in app's secret is derived from
 * it (HMAC with the client id). Every process of the checkout (`npm start`, `npm run sample:<name>`
 * in several terminals, `npm run emulator`, the tests) reads the same file, so the samples of one
 * and the emulator of another agree.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the key lives unless EMULATOR_KEY_FILE says otherwise: the checkout's root. */
export const DEFAULT_EMULATOR_KEY_FILE = fileURLToPath(
  new URL('../../.emulator-key', import.meta.url),
);

/** 32 random bytes, base64url: what this module writes, and all it accepts. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The file holds something else than a key this module made. */
export class MalformedKeyError extends Error {}

/**
 * The key in `file`, made first if there is none. Made atomically: written whole to a file of its
 * own (`wx`, 0600), then linked to its name, which fails if another process got there first; the
 * loser then reads the winner's key. Nothing ever reads a half-written key.
 */
export function readOrCreateEmulatorKey(file: string): string {
  const existing = readKey(file);
  if (existing !== undefined) return existing;
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(draft, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  return keyIn(readFileSync(file, 'utf8'));
}

/** The key, or `undefined` when there is no file. */
function readKey(file: string): string | undefined {
  try {
    return keyIn(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function keyIn(text: string): string {
  const key = text.trim();
  if (!KEY_PATTERN.test(key)) {
    throw new MalformedKeyError(
      'it holds no key made by this project; delete it, and a new one is made',
    );
  }
  return key;
}

/** A built-in app's client secret: the key's HMAC of its client id. */
export function builtInClientSecret(key: string, clientId: string): string {
  return createHmac('sha256', key).update(clientId).digest('base64url');
}
