/** What the emulator starts with, and what it refuses to start with. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { EmulatorOptionsError, startEmulator } from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  authorizeUrl,
  emulatorOptions,
  OTHER,
  PASSWORD,
  redeemCode,
  redirectParameters,
  signIn,
  WEB,
  withEmulator,
} from './helper.ts';

test('two apps with one client id are refused before anything listens, naming both', async () => {
  const twin = { ...OTHER, clientId: WEB.clientId.toUpperCase() };
  await assert.rejects(
    startEmulator(emulatorOptions({ apps: [WEB, twin] })),
    (error: Error) =>
      error instanceof EmulatorOptionsError &&
      error.message ===
        `Two apps are registered with client id ${WEB.clientId}: "Web app" and "Other app"`,
  );
});

test('an API permission the Graph-like API does not have is refused before anything listens', async () => {
  const app = { ...OTHER, apiPermissions: ['User.Read', 'Files.Read'] };
  // Closed if it starts after all, so that a failure does not keep the test running.
  const starting = startEmulator(emulatorOptions({ apps: [WEB, app] }));
  await starting.then((running) => running.close()).catch(() => {});
  await assert.rejects(
    starting,
    (error: Error) =>
      error instanceof EmulatorOptionsError &&
      error.message ===
        '"Other app" lists the API permission "Files.Read": the Graph-like API has only User.Read, User.ReadBasic.All, Mail.Read',
  );
});

test('generatedUsers adds users beyond the demo users, who sign in like them', async () => {
  await withEmulator({ generatedUsers: 3 }, async (generated) => {
    // The three demo users, the administrator, then the generated ones.
    assert.equal(generated.users.length, 7);
    const user = generated.users[5]!;
    assert.equal(user.userPrincipalName, 'loaduser00002@contoso.onmicrosoft.com');
    assert.match(user.oid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const browser = new Browser();
    const url = authorizeUrl(WEB, {}, generated);
    const code =
      redirectParameters(
        await signIn(browser, url, user.userPrincipalName, PASSWORD, generated),
      ).get('code') ?? '';
    const tokens = await redeemCode(WEB, code, {}, generated);
    assert.equal(decodeJwt(tokens.body.id_token).oid, user.oid);
  });
});

test('token lifetimes and the propagation delay must be whole seconds (lifetimes above 0)', async () => {
  for (const [name, value] of [
    ['accessTokenLifetimeSeconds', 0],
    ['caeAccessTokenLifetimeSeconds', 1.5],
    ['criticalEventDelaySeconds', -1],
  ] as const) {
    const starting = startEmulator(emulatorOptions({ [name]: value }));
    await starting.then((running) => running.close()).catch(() => {});
    await assert.rejects(
      starting,
      (error: Error) => error instanceof EmulatorOptionsError && error.message.startsWith(name),
    );
  }
});
