/**
 * Revoking a user's sessions (Graph's revokeSignInSessions, the admin center's button): the one
 * thing that stops an app that kept its refresh token after the user signed out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEmulator } from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  assertEntraError,
  authorizeUrl,
  emulator,
  emulatorOptions,
  endpoint,
  isSignInForm,
  json,
  redeemCode,
  redirectParameters,
  signedIn,
  signIn,
  tokenRequest,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

const refresh = (refreshToken: string) =>
  tokenRequest({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: WEB.clientId,
    client_secret: WEB.clientSecret,
  });
const revoke = (user: string, headers: Record<string, string> = {}) =>
  fetch(endpoint(`/users/${encodeURIComponent(user)}/revokeSignInSessions`), {
    method: 'POST',
    headers: { Accept: 'application/json', ...headers },
  });

test('after revocation, refresh tokens and SSO sessions from before fail; access tokens work until they expire', async () => {
  const { browser, tokens } = await signedIn();
  // Signing out does not revoke (checked in logout.test.ts); an administrator does.
  const response = await revoke(adele().userPrincipalName);
  assert.equal(response.status, 200);
  assert.equal((await json(response)).value, true);

  const refused = await refresh(tokens.refresh_token);
  assert.equal(refused.status, 400);
  assertEntraError(refused.body, 'invalid_grant', 50173);
  assert.match(refused.body.error_description, /TokensValidFrom/);
  // The SSO session went too: the next sign-in shows the form.
  assert.ok(isSignInForm(await (await browser.request(authorizeUrl(WEB))).text()));
  // An access token already issued is still accepted by the API, until it expires.
  const me = await fetch(`${emulator().graphUrl}/v1.0/me`, {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(me.status, 200);
  // A new sign-in works, and its refresh token too.
  const again = await signedIn();
  assert.equal((await refresh(again.tokens.refresh_token)).status, 200);
});

test('the SSO page has a button for it; another site cannot use it; an unknown user is a 404', async () => {
  const browser = new Browser();
  const page = await browser.get(`${emulator().identityUrl}/`);
  const form = /<form method="post" action="([^"]+)">\s*<button[^>]*id="revoke-([^"]+)"/.exec(
    page.html,
  );
  assert.ok(form, 'a revoke button per demo user');
  const revoked = await browser.post(new URL(form[1] ?? '', emulator().identityUrl).href, {});
  assert.match(revoked.html, /id="revoked"/);
  assert.match(revoked.html, /AADSTS50173/);

  const crossSite = await revoke(adele().oid, { Origin: 'https://evil.example' });
  assert.equal(crossSite.status, 403);
  assert.equal((await revoke('nobody@contoso.onmicrosoft.com')).status, 404);
});

test("the SSO page's way back (a return URL on this machine) survives an administrator's action", async () => {
  const browser = new Browser();
  const back = 'http://127.0.0.1:3000/';
  const page = await browser.get(`${emulator().identityUrl}/?return=${encodeURIComponent(back)}`);
  const action = /<form method="post" action="([^"]+)">\s*<button[^>]*id="revoke-/.exec(page.html);
  assert.ok(action);
  const revoked = await browser.post(new URL(action[1] ?? '', emulator().identityUrl).href, {
    return: back,
  });
  assert.match(revoked.html, /id="revoked"/);
  assert.match(revoked.html, /<a href="http:\/\/127\.0\.0\.1:3000\/" id="back">/);
  const elsewhere = await browser.post(new URL(action[1] ?? '', emulator().identityUrl).href, {
    return: 'https://evil.example/',
  });
  assert.doesNotMatch(elsewhere.html, /id="back"/);
});

test('a code issued before the revocation is refused too', async () => {
  const browser = new Browser();
  const redirect = redirectParameters(await signIn(browser, authorizeUrl(WEB)));
  assert.equal((await revoke(adele().oid)).status, 200);
  const redeemed = await redeemCode(WEB, redirect.get('code') ?? '');
  assert.equal(redeemed.status, 400);
  assertEntraError(redeemed.body, 'invalid_grant', 50173);
});

test('the page says "revoked" only for a user whose sessions were revoked', async () => {
  const browser = new Browser();
  const fresh = await startEmulator(emulatorOptions());
  try {
    const user = fresh.users[1]!;
    const page = await browser.get(`${fresh.identityUrl}/?revoked=${user.oid}`);
    assert.doesNotMatch(page.html, /id="revoked"/);
  } finally {
    await fresh.close();
  }
});
