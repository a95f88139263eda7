/**
 * A sample configured with an https:// base URL expects a TLS-terminating proxy in front. A request
 * that reaches it another way gets a page saying so, not a 500 (koa refuses to send the sample's
 * Secure cookies over plain http).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePorts, startEnvironment, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

let env: TestEnvironment;
let port: number;
before(async () => {
  [port] = (await freePorts(1)) as [number];
  env = await startEnvironment('aspnetcore', {
    env: { ASPNETCORE_PORT: String(port), ASPNETCORE_BASE_URL: `https://localhost:${port}` },
  });
});
after(() => env.close());

test('plain http without X-Forwarded-Proto: 400 naming the base URL, on every route', async () => {
  for (const [method, path] of [
    ['GET', SAMPLE_ROUTES.aspnetcore.home],
    ['GET', SAMPLE_ROUTES.aspnetcore.signIn],
    ['POST', SAMPLE_ROUTES.aspnetcore.redirect],
  ] as const) {
    const response = await fetch(`http://localhost:${port}${path}`, { method, redirect: 'manual' });
    assert.equal(response.status, 400, `${method} ${path}`);
    assert.match(
      await response.text(),
      new RegExp(`served at https://localhost:${port} \\(ASPNETCORE_BASE_URL\\)`),
    );
  }
});

test('through the proxy (X-Forwarded-Proto: https) it works, with Secure cookies', async () => {
  const response = await fetch(`http://localhost:${port}${SAMPLE_ROUTES.aspnetcore.signIn}`, {
    headers: { 'X-Forwarded-Proto': 'https' },
    redirect: 'manual',
  });
  assert.equal(response.status, 302);
  assert.match(
    response.headers.get('set-cookie') ?? '',
    /aspnetcore\.signin\.[\w-]{16}=.*; secure/i,
  );
});
