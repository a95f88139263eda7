/** The end-session endpoint: SSO sign-out and the front-channel logout iframes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { sessionLabel, startEmulator } from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  authorizeUrl,
  emulator,
  emulatorOptions,
  endpoint,
  isSignInForm,
  OTHER,
  redeemCode,
  redirectParameters,
  SILENT,
  signIn,
  TENANT_ID,
  tokenRequest,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

describe('sign-out', () => {
  /** Signs Adele in to WEB, OTHER and SILENT through one browser. */
  async function signedInEverywhere(e = emulator()) {
    const browser = new Browser();
    const first = redirectParameters(
      await signIn(browser, authorizeUrl(WEB, {}, e), undefined, undefined, e),
    );
    const code = first.get('code') ?? '';
    const tokens = await redeemCode(WEB, code, {}, e);
    for (const app of [OTHER, SILENT])
      redirectParameters(await browser.request(authorizeUrl(app, {}, e)));
    return { browser, sid: first.get('session_state') ?? '', tokens: tokens.body };
  }

  function logoutPage(html: string) {
    const frames = [...html.matchAll(/<iframe class="frontchannel-logout" src="([^"]+)"/g)].map(
      ([, src = '']) => src.replace(/&amp;/g, '&'),
    );
    const next = /<a id="continue" href="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    return { frames, next };
  }

  test('ends the SSO session, loads every logout URL with the sid, continues to a registered URI', async () => {
    const { browser, sid, tokens } = await signedInEverywhere();
    const url = new URL(endpoint('/oauth2/v2.0/logout'));
    url.search = new URLSearchParams({
      post_logout_redirect_uri: WEB.redirectUris[1] ?? '',
      state: 'bye',
      logout_hint: String(decodeJwt(tokens.id_token).login_hint),
    }).toString();
    const page = await browser.request(url.href);
    assert.equal(page.status, 200);
    const { frames, next } = logoutPage(await page.text());
    assert.deepEqual(frames, [
      `http://localhost:9/logout?app=web&sid=${sid}`,
      `http://localhost:9/other/logout?sid=${sid}`,
    ]);
    assert.equal(next, `${WEB.redirectUris[1]}?state=bye`);

    const again = await browser.request(authorizeUrl(WEB));
    assert.ok(isSignInForm(await again.text()), 'the SSO cookie is gone');
    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: WEB.clientId,
      client_secret: WEB.clientSecret,
    });
    assert.equal(refreshed.status, 200, 'sign-out does not revoke refresh tokens, as in Entra');
  });

  test('an unregistered post_logout_redirect_uri is ignored (no open redirect)', async () => {
    const { browser } = await signedInEverywhere();
    const form = { post_logout_redirect_uri: 'https://evil.example/', state: 'x' };
    const page = await browser.requestForm(endpoint('/oauth2/v2.0/logout'), form);
    const { frames, next } = logoutPage(await page.text());
    assert.equal(frames.length, 2);
    assert.equal(next, endpoint('/oauth2/v2.0/logoutsession'));
    const signedOut = await fetch(next ?? '');
    assert.match(await signedOut.text(), /You signed out of your account/);
  });

  test('a post_logout_redirect_uri is matched exactly: a registered loopback URI on another port is not followed', async () => {
    const registered = new URL(WEB.redirectUris[1] ?? '');
    registered.port = String(Number(registered.port || 80) + 1);
    const page = await new Browser().request(
      `${endpoint('/oauth2/v2.0/logout')}?post_logout_redirect_uri=${encodeURIComponent(registered.href)}`,
    );
    assert.equal(logoutPage(await page.text()).next, endpoint('/oauth2/v2.0/logoutsession'));
  });

  test('without an SSO session the page still continues, with no iframes', async () => {
    const page = await new Browser().request(
      `${endpoint('/oauth2/v2.0/logout')}?post_logout_redirect_uri=${encodeURIComponent(WEB.redirectUris[1] ?? '')}`,
    );
    const { frames, next } = logoutPage(await page.text());
    assert.deepEqual(frames, []);
    assert.equal(next, WEB.redirectUris[1]);
  });

  test('the SSO session page shows the session and signs out from the browser', async () => {
    const { browser, sid } = await signedInEverywhere();
    const html = await (await browser.request(`${emulator().identityUrl}/`)).text();
    assert.match(html, new RegExp(`<code id="sso-session">${sessionLabel(sid)}</code>`));
    assert.ok(!html.includes(sid), 'the sid itself is not shown');
    assert.match(html, /Web app, Other app, App without logout URL/);
    assert.match(
      html,
      new RegExp(`<form method="post" action="/${TENANT_ID}/oauth2/v2.0/logout">`),
    );
    const { frames } = logoutPage(
      await (await browser.requestForm(endpoint('/oauth2/v2.0/logout'), {})).text(),
    );
    assert.equal(frames.length, 2);
    assert.match(
      await (await browser.request(`${emulator().identityUrl}/`)).text(),
      /id="no-session"/,
    );
  });

  test('a return URL on this machine: a link back on the SSO session page, carried through sign-out to the signed-out page; any other is ignored', async () => {
    const back = 'http://localhost:3000/';
    const { browser } = await signedInEverywhere();
    const html = await (
      await browser.request(`${emulator().identityUrl}/?return=${encodeURIComponent(back)}`)
    ).text();
    assert.match(
      html,
      /<a href="http:\/\/localhost:3000\/" id="back">Back to http:\/\/localhost:3000\/<\/a>/,
    );
    assert.match(html, /<input type="hidden" name="return" value="http:\/\/localhost:3000\/">/);
    // The sign-out form posts it; an app's registered post_logout_redirect_uri would still win.
    const { next } = logoutPage(
      await (await browser.requestForm(endpoint('/oauth2/v2.0/logout'), { return: back })).text(),
    );
    assert.equal(
      next,
      `${endpoint('/oauth2/v2.0/logoutsession')}?return=${encodeURIComponent(back)}`,
    );
    const signedOut = await (await fetch(next ?? '')).text();
    assert.match(
      signedOut,
      /<a href="http:\/\/localhost:3000\/" id="back" class="button">Back to http:\/\/localhost:3000\/<\/a>/,
    );
    const withRegistered = logoutPage(
      await (
        await new Browser().requestForm(endpoint('/oauth2/v2.0/logout'), {
          return: back,
          post_logout_redirect_uri: WEB.redirectUris[1] ?? '',
        })
      ).text(),
    );
    assert.equal(withRegistered.next, WEB.redirectUris[1]);

    for (const elsewhere of [
      'https://evil.example/',
      'http://localhost.evil.example/',
      'http://user:pass@localhost/',
      'javascript:alert(1)//localhost',
      'file://localhost/etc/passwd',
      '/relative',
    ]) {
      const query = `?return=${encodeURIComponent(elsewhere)}`;
      const page = await (await new Browser().request(`${emulator().identityUrl}/${query}`)).text();
      assert.ok(!page.includes('id="back"') && !page.includes('name="return"'), elsewhere);
      const out = await (await fetch(endpoint(`/oauth2/v2.0/logoutsession${query}`))).text();
      assert.ok(!out.includes('id="back"'), elsewhere);
      const { next: plain } = logoutPage(
        await (
          await new Browser().requestForm(endpoint('/oauth2/v2.0/logout'), { return: elsewhere })
        ).text(),
      );
      assert.equal(plain, endpoint('/oauth2/v2.0/logoutsession'), elsewhere);
    }
  });

  test('frontChannelLogoutIncludesIss adds the issuer, as OIDC Front-Channel Logout 1.0 says', async () => {
    const withIss = await startEmulator(emulatorOptions({ frontChannelLogoutIncludesIss: true }));
    try {
      const { browser, sid } = await signedInEverywhere(withIss);
      const { frames } = logoutPage(
        await (await browser.request(endpoint('/oauth2/v2.0/logout', withIss))).text(),
      );
      const first = new URL(frames[0] ?? '');
      assert.equal(first.searchParams.get('sid'), sid);
      assert.equal(first.searchParams.get('iss'), withIss.issuer);
    } finally {
      await withIss.close();
    }
  });
});
