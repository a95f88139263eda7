import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An unguessable opaque value: authorization codes, refresh tokens, flow tokens, cookies. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Base64url of SHA-256, the PKCE S256 transform and the pairwise `sub`. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * Constant-time comparison of secrets. Hashing first gives buffers of equal length, so neither the
 * content nor the length of the expected value leaks through timing.
 */
export function safeEqual(actual: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(actual), digest(expected));
}
