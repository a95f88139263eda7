/**
 * Calls to other services, against real local HTTP servers that misbehave: the identity
 * platform's token endpoint through msal's network client (shared/core/msal/network-client.ts) and the
 * Graph client (shared/core/graph-client.ts). Every call has a timeout and a bounded answer, and
 * "busy or failing" is told apart from "refused".
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { AuthError } from '@azure/msal-node';
import { ServiceUnavailableError } from '../../shared/core/errors.ts';
import { GraphClient, GraphError } from '../../shared/core/graph-client.ts';
import { TimeoutNetworkClient } from '../../shared/core/msal/network-client.ts';
import { freePorts } from '../helpers/environment.ts';

const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}

const json =
  (status: number, body: unknown): RequestListener =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

/** msal's network_error with this message, as msal passes it on. */
function networkError(message: RegExp) {
  return (error: unknown) =>
    error instanceof AuthError &&
    error.errorCode === 'network_error' &&
    message.test(error.errorMessage);
}

test("msal's network client gives msal the token endpoint's JSON answers, errors included", async () => {
  const client = new TimeoutNetworkClient(2_000);
  const ok = await serve(json(200, { access_token: 'x' }));
  assert.deepEqual((await client.sendPostRequestAsync(ok, { body: 'a=b' })).body, {
    access_token: 'x',
  });
  // A refusal (invalid_grant…) is an answer: msal reads it and raises its ServerError.
  const refused = await serve(json(400, { error: 'invalid_grant' }));
  const answer = await client.sendPostRequestAsync<{ error: string }>(refused, { body: '' });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, 'invalid_grant');
});

test("msal's network client: busy, failing, hanging, not JSON or too large is no answer", async () => {
  const client = new TimeoutNetworkClient(500);
  const busy = await serve(json(503, { error: 'temporarily_unavailable' }));
  await assert.rejects(client.sendPostRequestAsync(busy, {}), networkError(/^answered 503$/));
  const throttled = await serve(json(429, { error: 'too_many_requests' }));
  await assert.rejects(client.sendPostRequestAsync(throttled, {}), networkError(/^answered 429$/));
  const hangs = await serve(() => {});
  const started = Date.now();
  await assert.rejects(
    client.sendPostRequestAsync(hangs, {}),
    networkError(/did not answer in time/),
  );
  assert.ok(Date.now() - started < 2_000, 'the timeout fired');
  const html = await serve((_request, response) => response.end('<html>proxy error</html>'));
  await assert.rejects(
    client.sendPostRequestAsync(html, {}),
    networkError(/answered 200 with something other than JSON/),
  );
  const huge = await serve((_request, response) => response.end('x'.repeat(2 * 1024 * 1024)));
  await assert.rejects(
    client.sendPostRequestAsync(huge, {}),
    networkError(/more than 1048576 bytes/),
  );
  const [closed] = await freePorts(1);
  await assert.rejects(
    client.sendPostRequestAsync(`http://localhost:${closed}/token`, {}),
    networkError(/refused the connection/),
  );
  // msal's "no timeout" (0) still gets ours.
  await assert.rejects(
    client.sendGetRequestAsync(hangs, {}, 0),
    networkError(/did not answer in time/),
  );
});

test('the Graph client: a refusal is a GraphError, busy or failing is unavailable', async () => {
  const refusal = await serve(
    json(403, { error: { code: 'Authorization_RequestDenied', message: 'no' } }),
  );
  await assert.rejects(
    new GraphClient(refusal, 2_000).get('/v1.0/me', 't'),
    (error) =>
      error instanceof GraphError &&
      error.status === 403 &&
      error.code === 'Authorization_RequestDenied',
  );
  for (const [status, reason] of [
    [503, /^answered 503$/],
    [429, /^answered 429$/],
  ] as const) {
    const failing = await serve(json(status, { error: { code: 'x' } }));
    await assert.rejects(
      new GraphClient(failing, 2_000).get('/v1.0/me', 't'),
      (error) => error instanceof ServiceUnavailableError && reason.test(error.reason),
    );
  }
  const notJson = await serve((_request, response) => response.end('oops'));
  await assert.rejects(
    new GraphClient(notJson, 2_000).get('/v1.0/me', 't'),
    (error) =>
      error instanceof ServiceUnavailableError && /not JSON|other than JSON/.test(error.reason),
  );
});
