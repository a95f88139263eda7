/** The authorize endpoint, the sign-in form, the account picker and the SSO session. */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startEmulator } from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  assertEntraError,
  authorizeUrl,
  emulator,
  emulatorOptions,
  endpoint,
  inputs,
  isSignInForm,
  OTHER,
  redeemCode,
  redirectParameters,
  SILENT,
  signedIn,
  signIn,
  TENANT_ID,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

describe('sign-in', () => {
  test('query mode: code, state, session_state and client_info; tokens with Entra claims', async () => {
    const { redirect, tokens } = await signedIn();
    assert.equal(redirect.get('state'), 'state-1');
    const clientInfo = JSON.parse(
      Buffer.from(redirect.get('client_info') ?? '', 'base64url').toString(),
    );
    assert.deepEqual(clientInfo, { uid: adele().oid, utid: TENANT_ID });

    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.scope, 'User.Read openid profile');
    assert.equal(tokens.expires_in, 3600);
    assert.equal(tokens.ext_expires_in, 3600);
    assert.ok(tokens.refresh_token);
    assert.equal(tokens.client_info, redirect.get('client_info'));

    const jwks = createRemoteJWKSet(new URL(endpoint('/discovery/v2.0/keys')));
    const { payload: id, protectedHeader } = await jwtVerify(tokens.id_token, jwks, {
      issuer: emulator().issuer,
      audience: WEB.clientId,
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.ok(protectedHeader.kid);
    assert.equal(id.ver, '2.0');
    assert.equal(id.oid, adele().oid);
    assert.equal(id.tid, TENANT_ID);
    assert.equal(id.name, 'Adele Vance');
    assert.equal(id.preferred_username, adele().userPrincipalName);
    assert.equal(id.nonce, 'nonce-1');
    assert.equal(id.sid, redirect.get('session_state'));
    assert.match(String(id.sid), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(String(id.sub), /^[\w-]{43}$/);
    assert.ok(id.login_hint && id.uti && id.iat && id.nbf && id.exp);

    const { payload: access } = await jwtVerify(tokens.access_token, jwks, {
      issuer: emulator().issuer,
      audience: emulator().graphAudience,
    });
    assert.equal(access.aud, '00000003-0000-0000-c000-000000000000');
    assert.equal(access.scp, 'User.Read');
    assert.equal(access.oid, adele().oid);
    assert.equal(access.tid, TENANT_ID);
    assert.equal(access.appid, WEB.clientId);
  });

  test('sub is pairwise: stable per app, different across apps', async () => {
    const first = decodeJwt((await signedIn(WEB)).tokens.id_token);
    const again = decodeJwt((await signedIn(WEB)).tokens.id_token);
    const other = decodeJwt((await signedIn(OTHER)).tokens.id_token);
    assert.equal(first.sub, again.sub);
    assert.notEqual(first.sub, other.sub);
    assert.equal(first.login_hint, other.login_hint);
  });

  test('form_post mode: an auto-submitting form with the response as hidden fields', async () => {
    const browser = new Browser();
    const response = await signIn(
      browser,
      authorizeUrl(WEB, { response_mode: 'form_post', state: 'a&b"c' }),
    );
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(
      html,
      new RegExp(`<form method="post" name="hiddenform" action="${WEB.redirectUris[0]}">`),
    );
    assert.match(
      html,
      /<noscript>[\s\S]*<button type="submit">Submit<\/button>[\s\S]*<\/noscript>/,
    );
    const fields = inputs(html);
    assert.equal(fields.state, 'a&b"c');
    assert.ok(fields.code && fields.client_info && fields.session_state);
    assert.equal((await redeemCode(WEB, fields.code)).status, 200);
  });

  test('the SSO session signs a second app in without the form, with the same sid', async () => {
    const { browser, redirect } = await signedIn(WEB);
    const second = redirectParameters(await browser.request(authorizeUrl(OTHER)));
    assert.equal(second.get('session_state'), redirect.get('session_state'));
    const tokens = await redeemCode(OTHER, second.get('code') ?? '');
    assert.equal(decodeJwt(tokens.body.id_token).sid, redirect.get('session_state'));
  });

  test('the SSO cookie is emulator().ESTSAUTH: HttpOnly, SameSite=Lax, path /, not Secure', async () => {
    const response = await signIn(new Browser(), authorizeUrl(WEB));
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.length, 1);
    const [cookie = ''] = cookies;
    assert.match(cookie, /^emulator\.ESTSAUTH=[\w-]{43}; path=\/; samesite=lax; httponly$/);
  });

  test('prompt=login shows the form despite the SSO session; prompt=none uses it', async () => {
    const { browser, redirect } = await signedIn();
    const page = await browser.request(authorizeUrl(WEB, { prompt: 'login' }));
    assert.ok(isSignInForm(await page.text()));
    const silent = redirectParameters(await browser.request(authorizeUrl(WEB, { prompt: 'none' })));
    assert.ok(silent.get('code'));
    assert.equal(silent.get('session_state'), redirect.get('session_state'));
  });

  test('prompt=none without a session is login_required (AADSTS50058)', async () => {
    const redirect = redirectParameters(
      await new Browser().request(authorizeUrl(WEB, { prompt: 'none' })),
    );
    assert.equal(redirect.get('error'), 'login_required');
    assert.match(redirect.get('error_description') ?? '', /^AADSTS50058: /);
    assert.equal(redirect.get('state'), 'state-1');
    const fragment = await fetch(authorizeUrl(WEB, { prompt: 'none', response_mode: 'fragment' }), {
      redirect: 'manual',
    });
    const hash = new URLSearchParams(new URL(fragment.headers.get('location') ?? '').hash.slice(1));
    assert.equal(hash.get('error'), 'login_required');
  });

  test('prompt=select_account offers the signed-in account or another one', async () => {
    const { browser } = await signedIn();
    const html = await (
      await browser.request(authorizeUrl(WEB, { prompt: 'select_account' }))
    ).text();
    assert.match(html, /Adele Vance/);
    const flowToken = inputs(html).flowToken ?? '';
    const another = /<a href="([^"]+)" id="use-another-account">/
      .exec(html)?.[1]
      ?.replace(/&amp;/g, '&');
    const form = await browser.request(new URL(another ?? '', emulator().identityUrl).href);
    assert.ok(isSignInForm(await form.text()), '"Use another account" shows the form');
    const picked = redirectParameters(
      await browser.requestForm(endpoint('/login'), { flowToken, action: 'continue' }),
    );
    assert.ok(picked.get('code'));
  });

  test("login_hint: the session's user signs in silently, another user gets the form, prefilled", async () => {
    const { browser, tokens } = await signedIn();
    // msal sends the id token's opaque login_hint claim when given an account.
    const opaqueHint = String(decodeJwt(tokens.id_token).login_hint);
    redirectParameters(await browser.request(authorizeUrl(WEB, { login_hint: opaqueHint })));
    redirectParameters(
      await browser.request(authorizeUrl(WEB, { login_hint: adele().userPrincipalName })),
    );
    const megan = emulator().users[2]?.userPrincipalName ?? '';
    const html = await (await browser.request(authorizeUrl(WEB, { login_hint: megan }))).text();
    assert.ok(isSignInForm(html));
    assert.equal(inputs(html).login, megan);
  });

  test('a wrong password shows the form again with AADSTS50126', async () => {
    const response = await signIn(
      new Browser(),
      authorizeUrl(WEB),
      adele().userPrincipalName,
      'wrong',
    );
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.ok(isSignInForm(html));
    assert.match(
      html,
      /AADSTS50126: Error validating credentials due to invalid username or password\./,
    );
    assert.doesNotMatch(html, /wrong/);
  });

  test('a custom password is never printed on the sign-in page', async () => {
    const custom = await startEmulator(emulatorOptions({ password: 'S3cret-value' }));
    try {
      const html = await (await fetch(authorizeUrl(WEB, {}, custom))).text();
      assert.ok(isSignInForm(html));
      assert.doesNotMatch(html, /S3cret-value/);
      assert.match(html, /EMULATOR_PASSWORD/);
    } finally {
      await custom.close();
    }
  });

  test('Cancel goes back to the app with access_denied (AADSTS65004)', async () => {
    const browser = new Browser();
    const html = await (await browser.request(authorizeUrl(WEB))).text();
    const redirect = redirectParameters(
      await browser.requestForm(endpoint('/login'), {
        flowToken: inputs(html).flowToken ?? '',
        action: 'cancel',
      }),
    );
    assert.equal(redirect.get('error'), 'access_denied');
    assert.match(
      redirect.get('error_description') ?? '',
      /^AADSTS65004: User declined to consent to access the app\./,
    );
    assert.equal(redirect.get('state'), 'state-1');
  });

  test('an unregistered redirect URI or client is an error page, never a redirect', async () => {
    const badRedirect = await fetch(
      authorizeUrl(WEB, { redirect_uri: 'https://evil.example/cb' }),
      { redirect: 'manual' },
    );
    assert.equal(badRedirect.status, 400);
    assert.equal(badRedirect.headers.get('location'), null);
    assert.match(await badRedirect.text(), /AADSTS50011: /);
    const badClient = await fetch(authorizeUrl({ ...WEB, clientId: randomUUID() }), {
      redirect: 'manual',
    });
    assert.equal(badClient.status, 400);
    assert.match(await badClient.text(), /AADSTS700016: /);
  });

  test('a loopback redirect URI matches on any port, as in Entra; nothing else does', async () => {
    // Registered: http://localhost:9/cb. Another instance of the app, on another port:
    const otherPort = 'http://localhost:3999/cb';
    const redirect = redirectParameters(
      await signIn(new Browser(), authorizeUrl(WEB, { redirect_uri: otherPort })),
    );
    const tokens = await redeemCode(WEB, redirect.get('code') ?? '', { redirect_uri: otherPort });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    // The code is bound to the URI it was issued for, port included.
    const other = redirectParameters(
      await signIn(new Browser(), authorizeUrl(WEB, { redirect_uri: otherPort })),
    );
    assert.equal((await redeemCode(WEB, other.get('code') ?? '')).status, 400);

    for (const uri of [
      'http://localhost:3999/CB',
      'http://localhost:3999/cb/more',
      'https://localhost:9/cb',
      'http://localhost.evil.example:9/cb',
      'http://127.0.0.2:9/cb',
    ]) {
      const answer = await fetch(authorizeUrl(WEB, { redirect_uri: uri }), { redirect: 'manual' });
      assert.equal(answer.status, 400, uri);
      assert.match(await answer.text(), /AADSTS50011: /, uri);
    }
  });

  test('bad requests from a known client go back to it: scope, response_type, PKCE method and size', async () => {
    const cases: Array<[Record<string, string>, string, number]> = [
      [{ scope: 'openid Files.Read' }, 'invalid_scope', 70011],
      [{ scope: 'User.Read' }, 'invalid_scope', 70011],
      [{ response_type: 'token' }, 'unsupported_response_type', 70005],
      [
        { code_challenge: 'x'.repeat(43), code_challenge_method: 'S512' },
        'invalid_request',
        501491,
      ],
      // A challenge of the wrong size or alphabet (RFC 7636): an empty one would disable PKCE.
      [{ code_challenge: '', code_challenge_method: 'plain' }, 'invalid_request', 501491],
      [{ code_challenge: 'x'.repeat(42) }, 'invalid_request', 501491],
      [{ code_challenge: 'x'.repeat(129) }, 'invalid_request', 501491],
      [
        { code_challenge: `${'x'.repeat(42)}=`, code_challenge_method: 'S256' },
        'invalid_request',
        501491,
      ],
      [{ response_type: 'code id_token', response_mode: 'query' }, 'invalid_request', 700054],
    ];
    for (const [parameters, error, code] of cases) {
      const redirect = redirectParameters(
        await fetch(authorizeUrl(WEB, parameters), { redirect: 'manual' }),
      );
      assert.equal(redirect.get('error'), error);
      assert.match(redirect.get('error_description') ?? '', new RegExp(`^AADSTS${code}: `));
    }
  });

  test("Graph scopes with or without prefix, and .default (the registration's permissions), are understood", async () => {
    const browser = new Browser();
    const scope = 'openid offline_access https://graph.microsoft.com/.default';
    const redirect = redirectParameters(await signIn(browser, authorizeUrl(WEB, { scope })));
    const tokens = await redeemCode(WEB, redirect.get('code') ?? '');
    assert.equal(tokens.body.scope, 'User.Read User.ReadBasic.All Mail.Read openid');
    const onlyOidc = redirectParameters(
      await browser.request(authorizeUrl(WEB, { scope: 'openid profile email' })),
    );
    const plain = await redeemCode(WEB, onlyOidc.get('code') ?? '');
    // Naming no Graph permission is asking for the registration's, as `.default` does.
    assert.equal(plain.body.scope, 'User.Read User.ReadBasic.All Mail.Read openid profile email');
    assert.equal(plain.body.refresh_token, undefined, 'no offline_access, no refresh token');
    assert.equal(decodeJwt(plain.body.id_token).email, adele().mail);
  });
});

describe('API permissions: what the registration lists, and nothing more', () => {
  // OTHER lists none: it has User.Read, as a new registration in Entra.
  test('a sign-in asking for a permission the registration does not list gets no code: consent_required (AADSTS65001)', async () => {
    const beyond = { scope: 'openid offline_access Mail.Read' };
    // Who the user is comes first: without a session, prompt=none is still login_required.
    const nobody = redirectParameters(
      await new Browser().request(authorizeUrl(OTHER, { ...beyond, prompt: 'none' })),
    );
    assert.equal(nobody.get('error'), 'login_required');

    const browser = new Browser();
    const refused = redirectParameters(await signIn(browser, authorizeUrl(OTHER, beyond)));
    assert.equal(refused.get('code'), null);
    assert.equal(refused.get('error'), 'consent_required');
    assert.match(
      refused.get('error_description') ?? '',
      new RegExp(
        `^AADSTS65001: The user or administrator has not consented to use the application with ID '${OTHER.clientId}' named 'Other app'\\. Send an interactive authorization request for this user and resource\\.\r\nTrace ID: `,
      ),
    );
    assert.equal(refused.get('state'), 'state-1');
    // Through the SSO session (no form), and with prompt=none, the same.
    for (const extra of [{}, { prompt: 'none' }] as Array<Record<string, string>>) {
      const sso = redirectParameters(
        await browser.request(authorizeUrl(OTHER, { ...beyond, ...extra })),
      );
      assert.equal(sso.get('error'), 'consent_required');
    }
    const events = await emulator().events.after(0, 0, new AbortController().signal);
    assert.match(
      events.at(-1)?.text ?? '',
      /^Other app: no code for AdeleV@\S+, Mail\.Read not consented: AADSTS65001: /,
    );

    // What it lists, it gets: `.default` is the registration's permissions, here User.Read alone.
    const scope = 'openid offline_access https://graph.microsoft.com/.default';
    const granted = redirectParameters(await browser.request(authorizeUrl(OTHER, { scope })));
    const tokens = await redeemCode(OTHER, granted.get('code') ?? '');
    assert.equal(tokens.body.scope, 'User.Read openid');
    assert.equal(decodeJwt(tokens.body.access_token).scp, 'User.Read');
  });
});

describe('the hybrid flow, PKCE plain, optional claims', () => {
  test('code id_token with form_post: the code and an id token bound to it by c_hash', async () => {
    const browser = new Browser();
    const url = authorizeUrl(WEB, { response_type: 'code id_token', response_mode: 'form_post' });
    const page = await signIn(browser, url);
    assert.equal(page.status, 200);
    const fields = inputs(await page.text());
    const idToken = decodeJwt(fields.id_token ?? '');
    const expected = createHash('sha256')
      .update(fields.code ?? '')
      .digest()
      .subarray(0, 16);
    assert.equal(idToken.c_hash, expected.toString('base64url'));
    assert.equal(idToken.nonce, 'nonce-1');
    assert.equal(idToken.aud, WEB.clientId);
    assert.equal(idToken.sid, fields.session_state);
    assert.equal((await redeemCode(WEB, fields.code ?? '')).status, 200);
  });

  test('code id_token answers in the fragment by default, and needs a nonce', async () => {
    const { browser } = await signedIn();
    const hybrid = await browser.request(authorizeUrl(WEB, { response_type: 'id_token code' }));
    const fragment = new URLSearchParams(
      new URL(hybrid.headers.get('location') ?? '').hash.slice(1),
    );
    assert.ok(fragment.get('code') && fragment.get('id_token'));
    const noNonce = await browser.request(
      authorizeUrl(WEB, { response_type: 'code id_token', nonce: '' }),
    );
    const error = new URLSearchParams(new URL(noNonce.headers.get('location') ?? '').hash.slice(1));
    assert.equal(error.get('error'), 'invalid_request');
    assert.match(error.get('error_description') ?? '', /^AADSTS900144: .*'nonce'/);
  });

  test('an app whose registration does not enable ID tokens gets none from the authorize endpoint: AADSTS700054', async () => {
    // What any process on a loopback port could ask for with OTHER's client id: its redirect URI
    // matches on any port, and no secret is needed to receive an id token.
    const { browser } = await signedIn(OTHER);
    const hybrid = { response_type: 'code id_token', response_mode: 'form_post' };
    const page = await browser.request(authorizeUrl(OTHER, hybrid));
    const fields = inputs(await page.text());
    assert.equal(fields.id_token, undefined);
    assert.equal(fields.code, undefined);
    assert.equal(fields.error, 'unsupported_response_type');
    assert.match(
      fields.error_description ?? '',
      /^AADSTS700054: response_type 'id_token' is not enabled for the application\.\r\nTrace ID: /,
    );
    assert.equal(fields.state, 'state-1');
    // In the fragment (the hybrid flow's default), and with prompt=none, the same.
    for (const extra of [{}, { prompt: 'none' }] as Array<Record<string, string>>) {
      const answer = await browser.request(
        authorizeUrl(OTHER, { response_type: 'id_token code', ...extra }),
      );
      const fragment = new URLSearchParams(
        new URL(answer.headers.get('location') ?? '').hash.slice(1),
      );
      assert.equal(fragment.get('id_token'), null);
      assert.equal(fragment.get('error'), 'unsupported_response_type');
    }
  });

  test('PKCE plain, or no method (which means plain), as Entra accepts', async () => {
    for (const method of [{ code_challenge_method: 'plain' }, {}] as Record<string, string>[]) {
      const browser = new Browser();
      const url = authorizeUrl(WEB, {
        code_challenge: 'a-plain-verifier-of-43-characters-or-more-xyz',
        ...method,
      });
      const code = redirectParameters(await signIn(browser, url)).get('code') ?? '';
      assertEntraError(
        (await redeemCode(WEB, code, { code_verifier: 'another' })).body,
        'invalid_grant',
        501481,
      );
      const redeemed = await redeemCode(WEB, code, {
        code_verifier: 'a-plain-verifier-of-43-characters-or-more-xyz',
      });
      assert.equal(redeemed.status, 200);
    }
  });

  test('sid and login_hint only for apps whose registration asks for them', async () => {
    const asked = decodeJwt((await signedIn(WEB)).tokens.id_token);
    assert.ok(asked.sid && asked.login_hint);
    const { redirect, tokens } = await signedIn(SILENT);
    const notAsked = decodeJwt(tokens.id_token);
    assert.equal(notAsked.sid, undefined);
    assert.equal(notAsked.login_hint, undefined);
    assert.match(
      redirect.get('session_state') ?? '',
      /^[0-9a-f-]{36}$/,
      'session_state still says it',
    );
  });
});
