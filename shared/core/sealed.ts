import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Sealing: AES-256-GCM encryption that also authenticates, under keys derived (HKDF-SHA256) from
 * configured secrets, one per purpose, so that a value sealed for one purpose never opens for
 * another. The first secret seals; every secret is tried to open, so that a secret can be rotated
 * while values sealed with the previous one are still in flight.
 *
 * Sealed form: base64url(version byte, 12-byte IV, ciphertext, 16-byte tag); the version and the
 * purpose are authenticated too, and so is a `context` when one is given (say, the key the value
 * is stored under, so that a value moved to another key no longer opens).
 */
export class Sealer {
  private readonly keys: Buffer[];
  /** Authenticated with the ciphertext: the format's version and the purpose. */
  private readonly aad: Buffer;

  constructor(secrets: readonly string[], purpose: string) {
    if (secrets.length === 0) throw new Error('Sealing needs at least one secret');
    this.keys = secrets.map((secret) =>
      Buffer.from(hkdfSync('sha256', secret, 'msal-single-sign-out-koa', purpose, 32)),
    );
    this.aad = Buffer.concat([VERSION, Buffer.from(purpose)]);
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0] as Buffer, iv);
    cipher.setAAD(this.aadFor(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([VERSION, iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  /** The plaintext, or `undefined` if the value was not sealed by one of these keys, or altered. */
  open(sealed: string, context = ''): string | undefined {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < 1 + 12 + 16 || bytes[0] !== VERSION[0]) return undefined;
    const iv = bytes.subarray(1, 13);
    const tag = bytes.subarray(bytes.length - 16);
    const ciphertext = bytes.subarray(13, bytes.length - 16);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(this.aadFor(context));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // Not this key (or altered): try the next one.
      }
    }
    return undefined;
  }

  private aadFor(context: string): Buffer {
    return context ? Buffer.concat([this.aad, Buffer.from([0]), Buffer.from(context)]) : this.aad;
  }
}

const VERSION = Buffer.from([1]);
