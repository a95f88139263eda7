import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { after, before, test } from 'node:test';
import { Browser } from './helpers/browser.ts';
import { startEnvironment, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

/**
 * In emulator mode nothing may leave the machine: msal must not call login.microsoftonline.com
 * (instance discovery, metadata) nor anything else. Every outgoing HTTP request of this process,
 * through fetch (undici) or node:http, is recorded from Node's diagnostics channels.
 */
const origins = new Set<string>();
const onFetch = (message: unknown) => {
  origins.add((message as { request: { origin: string } }).request.origin);
};
const onHttp = (message: unknown) => {
  const { request } = message as { request: { protocol: string; host: string } };
  origins.add(`${request.protocol}//${request.host}`);
};

let env: TestEnvironment;
before(async () => {
  diagnosticsChannel.subscribe('undici:request:create', onFetch);
  diagnosticsChannel.subscribe('http.client.request.start', onHttp);
  env = await startEnvironment('aspnetcore', {
    emulator: { accessTokenLifetimeSeconds: 60 },
  });
});
after(async () => {
  diagnosticsChannel.unsubscribe('undici:request:create', onFetch);
  diagnosticsChannel.unsubscribe('http.client.request.start', onHttp);
  await env.close();
});

test('in emulator mode, sign-in, token refresh, API calls and sign-out reach only localhost', async () => {
  const browser = new Browser();
  const user = env.emulator.users[0]!.userPrincipalName;
  await browser.signIn(env.sample.url + SAMPLE_ROUTES.aspnetcore.signIn, user, env.password);
  const profile = await browser.get(env.sample.url + SAMPLE_ROUTES.aspnetcore.api);
  assert.equal(profile.status, 200);
  await browser.get(env.sample.url + SAMPLE_ROUTES.aspnetcore.signOut);

  // The flow did make requests (discovery, token, refresh, Graph), so the recording works...
  assert.ok(env.emulator.tokenRequests.some((request) => request.grantType === 'refresh_token'));
  assert.ok(origins.size > 0);
  // ...and every one of them went to this machine.
  for (const origin of origins) {
    assert.match(origin, /^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/, `request to ${origin}`);
  }
});
