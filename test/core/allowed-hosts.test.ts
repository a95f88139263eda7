/**
 * `shared/core/allowed-hosts.ts`: only the server's own host names are answered (DNS rebinding),
 * and behind a trusted proxy every host it forwards must be one of them too.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import Koa from 'koa';
import { allowedHosts } from '../../shared/core/allowed-hosts.ts';

/** The status a request with these headers gets from an app at `baseUrl` (behind a proxy if https). */
async function statusFor(baseUrl: string, headers: Record<string, string>): Promise<number> {
  const app = new Koa();
  app.proxy = baseUrl.startsWith('https:');
  app.use(allowedHosts([baseUrl]));
  app.use((ctx) => {
    ctx.body = 'answered';
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', headers }, (answer) => {
          answer.resume();
          resolve(answer.statusCode ?? 0);
        })
        .on('error', reject);
    });
  } finally {
    server.close();
  }
}

test("the base URL's host and the loopback names are answered, any other gets 421", async () => {
  const baseUrl = 'http://localhost:3100';
  assert.equal(await statusFor(baseUrl, { host: 'localhost:3100' }), 200);
  assert.equal(await statusFor(baseUrl, { host: '127.0.0.1:3100' }), 200);
  assert.equal(await statusFor(baseUrl, { host: '[::1]:3100' }), 200);
  assert.equal(await statusFor(baseUrl, { host: 'evil.example' }), 421);
  assert.equal(await statusFor(baseUrl, { host: 'evil.example:3100' }), 421);
  // Without a trusted proxy, X-Forwarded-Host is nobody's word, and changes nothing.
  assert.equal(await statusFor(baseUrl, { host: 'localhost', 'x-forwarded-host': 'x' }), 200);
});

test('behind a proxy, Host and every forwarded host must be the app’s own', async () => {
  const baseUrl = 'https://app.example.com';
  const own = 'app.example.com';
  assert.equal(await statusFor(baseUrl, { host: own, 'x-forwarded-host': own }), 200);
  // A client's X-Forwarded-Host cannot vouch for a Host of its choosing, nor the reverse.
  assert.equal(await statusFor(baseUrl, { host: 'evil.example', 'x-forwarded-host': own }), 421);
  assert.equal(await statusFor(baseUrl, { host: own, 'x-forwarded-host': 'evil.example' }), 421);
  assert.equal(
    await statusFor(baseUrl, { host: own, 'x-forwarded-host': `evil.example, ${own}` }),
    421,
  );
});
