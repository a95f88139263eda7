/**
 * An administrator's critical events, from the emulator's page and from Graph's calls: an account
 * disabled and enabled again, a password reset. (Revoking sessions: revoke.test.ts; what CAE makes
 * of them: cae.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunningEmulator } from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  assertEntraError,
  authorizeUrl,
  endpoint,
  inputs,
  isSignInForm,
  json,
  PASSWORD,
  redeemCode,
  redirectParameters,
  signIn,
  tokenRequest,
  WEB,
  withEmulator,
} from './helper.ts';

const refresh = (e: RunningEmulator, refreshToken: string) =>
  tokenRequest(
    {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: WEB.clientId,
      client_secret: WEB.clientSecret,
    },
    e,
  );

/** The admin page's form for `action` and `oid`, posted as the page's browser would. */
async function pressButton(e: RunningEmulator, browser: Browser, action: string, oid: string) {
  const page = await browser.get(`${e.identityUrl}/`);
  const form = new RegExp(
    `<form method="post" action="([^"]+)">\\s*<button[^>]*id="${action}-${oid}"`,
  ).exec(page.html);
  assert.ok(form, `a ${action} button for ${oid}`);
  return browser.post(new URL(form[1] ?? '', e.identityUrl).href, {});
}

/** Signs the user in through a fresh browser; the response to the sign-in form. */
async function trySignIn(e: RunningEmulator, login: string, passwd = PASSWORD) {
  const browser = new Browser();
  return { browser, response: await signIn(browser, authorizeUrl(WEB, {}, e), login, passwd, e) };
}

async function signedInTokens(e: RunningEmulator, login: string, passwd = PASSWORD) {
  const { browser, response } = await trySignIn(e, login, passwd);
  const tokens = await redeemCode(WEB, redirectParameters(response).get('code') ?? '', {}, e);
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return { browser, tokens: tokens.body };
}

test('a disabled account cannot sign in nor redeem its codes and refresh tokens; enabled again, it can', async () => {
  await withEmulator({}, async (e) => {
    const user = e.users[1] ?? assert.fail();
    const { browser, tokens } = await signedInTokens(e, user.userPrincipalName);
    // A code issued before the account was disabled.
    const pending = await trySignIn(e, user.userPrincipalName);
    const admin = new Browser();
    const page = await pressButton(e, admin, 'disable', user.oid);
    assert.match(page.html, /id="disabled"/);
    assert.match(page.html, new RegExp(`id="enable-${user.oid}"`));

    const refused = await refresh(e, tokens.refresh_token);
    assertEntraError(refused.body, 'invalid_grant', 50057);
    const code = redirectParameters(pending.response).get('code') ?? '';
    assertEntraError((await redeemCode(WEB, code, {}, e)).body, 'invalid_grant', 50057);
    // The right password: the form says the account is disabled.
    const form = await (await trySignIn(e, user.userPrincipalName)).response.text();
    assert.ok(isSignInForm(form));
    assert.match(form, /AADSTS50057: The user account is disabled\./);
    // The SSO session signs nobody in: prompt=none is login_required.
    const silent = redirectParameters(
      await browser.request(authorizeUrl(WEB, { prompt: 'none' }, e)),
    );
    assert.equal(silent.get('error'), 'login_required');

    const enabled = await pressButton(e, admin, 'enable', user.oid);
    assert.match(enabled.html, /id="enabled"/);
    // Disabling revoked nothing: the refresh token works again, and so does signing in.
    assert.equal((await refresh(e, tokens.refresh_token)).status, 200);
    await signedInTokens(e, user.userPrincipalName);
  });
});

test("a password reset: a password of the user's own, shown on the page; the old one fails, refresh tokens from before too", async () => {
  await withEmulator({}, async (e) => {
    const [adele, alex] = e.users;
    assert.ok(adele && alex);
    const { tokens } = await signedInTokens(e, adele.userPrincipalName);
    const page = await pressButton(e, new Browser(), 'reset', adele.oid);
    const password = /<code id="new-password">([^<]+)<\/code>/.exec(page.html)?.[1] ?? '';
    assert.match(password, /^.{12}$/);
    assert.notEqual(password, PASSWORD);
    assert.match(page.html, new RegExp(`id="password-${adele.oid}">${password}<`));

    const old = await (await trySignIn(e, adele.userPrincipalName)).response.text();
    assert.match(old, /AADSTS50126: /);
    // The form says whose password is no longer the documented one, not what it is.
    assert.match(old, /id="reset-users">Except AdeleV@contoso\.onmicrosoft\.com:/);
    assert.ok(!old.includes(password));
    assertEntraError((await refresh(e, tokens.refresh_token)).body, 'invalid_grant', 50173);
    await signedInTokens(e, adele.userPrincipalName, password);
    // Only hers changed.
    await signedInTokens(e, alex.userPrincipalName);
    // No event tells the password.
    const events = await e.events.after(0, 0, new AbortController().signal);
    const reset = events.find((event) => event.kind === 'password-reset');
    assert.ok(reset);
    assert.ok(events.every((event) => !event.text.includes(password)));
  });
});

test("Graph's calls: PATCH accountEnabled and POST revokeSignInSessions, without a token, from this machine only", async () => {
  await withEmulator({}, async (e) => {
    const user = e.users[2] ?? assert.fail();
    const patch = (id: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${e.graphUrl}/v1.0/users/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      });
    const { tokens } = await signedInTokens(e, user.userPrincipalName);

    assert.equal((await patch(user.userPrincipalName, '{"accountEnabled":false}')).status, 204);
    assertEntraError((await refresh(e, tokens.refresh_token)).body, 'invalid_grant', 50057);
    assert.equal((await patch(user.oid, '{"accountEnabled":true}')).status, 204);
    assert.equal((await refresh(e, tokens.refresh_token)).status, 200);

    for (const body of ['{"accountEnabled":"no"}', '{"displayName":"x"}', 'not json', '[]']) {
      const bad = await patch(user.oid, body);
      assert.equal(bad.status, 400, body);
      assert.equal((await json(bad)).error.code, 'Request_BadRequest');
    }
    assert.equal(
      (await patch('nobody@contoso.onmicrosoft.com', '{"accountEnabled":false}')).status,
      404,
    );
    const crossSite = await patch(user.oid, '{"accountEnabled":false}', {
      Origin: 'https://evil.example',
    });
    assert.equal(crossSite.status, 403);

    const revoke = (headers: Record<string, string> = {}) =>
      fetch(`${e.graphUrl}/v1.0/users/${user.oid}/revokeSignInSessions`, {
        method: 'POST',
        headers,
      });
    assert.equal((await revoke({ Origin: 'https://evil.example' })).status, 403);
    const revoked = await revoke();
    assert.equal(revoked.status, 200);
    assert.equal((await json(revoked)).value, true);
    assertEntraError((await refresh(e, tokens.refresh_token)).body, 'invalid_grant', 50173);
    // The rest of the API still wants a token.
    assert.equal((await fetch(`${e.graphUrl}/v1.0/users`)).status, 401);
    assert.equal((await fetch(`${e.graphUrl}/v1.0/users/${user.oid}`)).status, 401);
  });
});

test("the identity platform's admin endpoints refuse another site; their events name user and sessions", async () => {
  await withEmulator({}, async (e) => {
    const user = e.users[0] ?? assert.fail();
    await signedInTokens(e, user.userPrincipalName);
    for (const action of ['disable', 'enable', 'resetPassword']) {
      const response = await fetch(endpoint(`/users/${user.oid}/${action}`, e), {
        method: 'POST',
        headers: { Origin: 'https://evil.example', Accept: 'application/json' },
      });
      assert.equal(response.status, 403, action);
    }
    const disabled = await fetch(endpoint(`/users/${user.oid}/disable`, e), {
      method: 'POST',
      headers: { Accept: 'application/json' },
    });
    assert.equal(disabled.status, 200);
    const events = await e.events.after(0, 0, new AbortController().signal);
    const event = events.find((each) => each.kind === 'account-disabled');
    assert.ok(event);
    assert.equal(event.user, user.userPrincipalName);
    assert.equal(event.sessions?.length, 1);
    assert.match(event.sessions?.[0] ?? '', /^[\w-]{6}$/);
    // The page does not say "disabled" for a user who is not.
    const page = await new Browser().get(`${e.identityUrl}/?disabled=${e.users[1]?.oid}`);
    assert.doesNotMatch(page.html, /id="disabled"/);
    assert.ok(inputs(page.html));
  });
});
