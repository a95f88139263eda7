import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The tenant's token signing key: tokens carry its `kid`, the JWKS endpoint publishes its public half. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwks: { keys: JWK[] };
}

/** A fresh RSA key per emulator start: tokens from an earlier run stop verifying, as after a key rollover. */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, jwks: { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] } };
}
