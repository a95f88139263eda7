/**
 * `shared/core/msal/identity-provider.ts`: the discovery document, fetched once at start-up, or a
 * start-up error that says what went wrong, with the app's hint (the samples': "is
 * ENTRA_TENANT_ID right?").
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { StartupError } from '../../../shared/core/errors.ts';
import { discoverIdentityProvider } from '../../../shared/core/msal/identity-provider.ts';

/** A server that answers every request with `status` and `body`. */
async function answering(status: number, body: string) {
  const server = createServer((_request, response) => response.writeHead(status).end(body));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/tenant/v2.0/.well-known/openid-configuration`, server };
}

const settings = (discoveryUrl: string, discoveryHint?: string) => ({
  authority: 'https://login.example/tenant',
  discoveryUrl,
  outboundTimeoutMs: 2_000,
  discoveryHint,
});

test("a discovery document that is not there stops the start-up, with the app's hint", async (t) => {
  const { url, server } = await answering(404, 'Not Found');
  t.after(() => server.close());
  await assert.rejects(
    discoverIdentityProvider(settings(url, 'is ENTRA_TENANT_ID right?')),
    (error) =>
      error instanceof StartupError &&
      error.message ===
        `the identity provider's discovery document at ${url} answered 404 (is ENTRA_TENANT_ID right?)`,
  );
  await assert.rejects(discoverIdentityProvider(settings(url)), /answered 404$/);
});

test('a document without the endpoints the app needs is refused', async (t) => {
  const { url, server } = await answering(
    200,
    JSON.stringify({ issuer: 'https://login.example/' }),
  );
  t.after(() => server.close());
  await assert.rejects(
    discoverIdentityProvider(settings(url)),
    /has no authorization_endpoint URL/,
  );
});
