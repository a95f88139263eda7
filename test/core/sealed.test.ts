/** Sealing (shared/core/sealed.ts): AES-256-GCM under keys derived per purpose, with rotation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sealer } from '../../shared/core/sealed.ts';

const oldSecret = 'o'.repeat(32);
const newSecret = 'n'.repeat(32);

test('what one secret sealed opens while that secret is still listed, first or not', () => {
  const sealed = new Sealer([oldSecret], 'purpose').seal('payload');
  assert.equal(new Sealer([newSecret, oldSecret], 'purpose').open(sealed), 'payload');
  assert.equal(new Sealer([newSecret], 'purpose').open(sealed), undefined, 'once retired, no more');
  // The first secret seals.
  const resealed = new Sealer([newSecret, oldSecret], 'purpose').seal('payload');
  assert.equal(new Sealer([newSecret], 'purpose').open(resealed), 'payload');
});

test('a value sealed for one purpose, or altered, or not sealed at all, does not open', () => {
  const sealer = new Sealer([oldSecret], 'aspnetcore.signin');
  const sealed = sealer.seal('payload');
  assert.equal(new Sealer([oldSecret], 'python.signin').open(sealed), undefined);
  const bytes = Buffer.from(sealed, 'base64url');
  for (const index of [0, 5, 20, bytes.length - 1]) {
    const altered = Buffer.from(bytes);
    altered[index] = (altered[index] ?? 0) ^ 1;
    assert.equal(sealer.open(altered.toString('base64url')), undefined, `byte ${index}`);
  }
  for (const garbage of ['', 'AQ', 'not base64 at all!', 'x'.repeat(100)]) {
    assert.equal(sealer.open(garbage), undefined);
  }
  assert.notEqual(sealer.seal('payload'), sealed, 'a new IV each time');
});
