/**
 * Revoking a user's sessions (Graph's revokeSignInSessions, the admin center's button): the one
 * thing that stops an app that kept its refresh token after the user signed out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  assertEntraError,
  authorizeUrl,
  emulator,
  endpoint,
  isSignInForm,
  json,
  signedIn,
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
