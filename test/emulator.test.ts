/**
 * Contract tests of the identity platform emulator: what an OpenID Connect client (and msal-node
 * itself) can observe, over real HTTP, with a browser-like cookie jar.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type AccountInfo, ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import fetchCookie from 'fetch-cookie';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { CookieJar } from 'tough-cookie';
import {
  type AppRegistration,
  DEFAULT_EMULATOR_PASSWORD,
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '../shared/emulator/index.ts';

const TENANT_ID = '0b7a5c1e-4d2f-4a8b-9c3d-6e5f4a3b2c1d';
const PASSWORD = DEFAULT_EMULATOR_PASSWORD;
const WEB: AppRegistration = {
  displayName: 'Web app',
  clientId: 'a1b2c3d4-0000-4000-8000-000000000001',
  clientSecret: 'web-secret',
  redirectUris: ['http://localhost:9/cb', 'http://localhost:9/signed-out'],
  frontChannelLogoutUrl: 'http://localhost:9/logout?app=web',
};
const OTHER: AppRegistration = {
  displayName: 'Other app',
  clientId: 'a1b2c3d4-0000-4000-8000-000000000002',
  clientSecret: 'other-secret',
  redirectUris: ['http://localhost:9/other/cb'],
  frontChannelLogoutUrl: 'http://localhost:9/other/logout',
};
const SILENT: AppRegistration = {
  displayName: 'App without logout URL',
  clientId: 'a1b2c3d4-0000-4000-8000-000000000003',
  clientSecret: 'silent-secret',
  redirectUris: ['http://localhost:9/silent/cb'],
};

function options(extra: Partial<EmulatorOptions> = {}): EmulatorOptions {
  return {
    port: 0,
    graphPort: 0,
    tenantId: TENANT_ID,
    password: PASSWORD,
    apps: [WEB, OTHER, SILENT],
    ...extra,
  };
}

let emulator: RunningEmulator;
before(async () => {
  emulator = await startEmulator(options());
});
after(() => emulator.close());

const adele = () => emulator.users[0] ?? assert.fail('no demo users');
const endpoint = (path: string, e = emulator) => `${e.identityUrl}/${TENANT_ID}${path}`;

/** One browser: a cookie jar, redirects not followed (the test reads each Location). */
class Browser {
  readonly fetch = fetchCookie(fetch, new CookieJar());

  get(url: string): Promise<Response> {
    return this.fetch(url, { redirect: 'manual' });
  }

  post(url: string, form: Record<string, string>): Promise<Response> {
    const body = new URLSearchParams(form);
    return this.fetch(url, { method: 'POST', body, redirect: 'manual' });
  }
}

function authorizeUrl(app: AppRegistration, parameters: Record<string, string> = {}, e = emulator) {
  const url = new URL(endpoint('/oauth2/v2.0/authorize', e));
  url.search = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: app.redirectUris[0] ?? '',
    response_type: 'code',
    scope: 'openid profile offline_access User.Read',
    state: 'state-1',
    nonce: 'nonce-1',
    client_info: '1',
    ...parameters,
  }).toString();
  return url.href;
}

/** The `name="…" value="…"` inputs of a page, HTML entities decoded. */
function inputs(html: string): Record<string, string> {
  const decode = (value: string) =>
    value
      .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
      .replace(/&amp;/g, '&');
  const found: Record<string, string> = {};
  for (const [, name = '', value = ''] of html.matchAll(
    /<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g,
  )) {
    found[name] = decode(value);
  }
  return found;
}

/** Response bodies are read loosely: the assertions check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: JSON of any shape, checked by the assertions
const json = (response: Response): Promise<any> => response.json();

const isSignInForm = (html: string) => html.includes('name="passwd"');

/** The query of a redirect to the app. */
function redirectParameters(response: Response): URLSearchParams {
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  return new URL(response.headers.get('location') ?? '').searchParams;
}

/** Opens the authorize URL, expects the form, and signs in. */
async function signIn(
  browser: Browser,
  url: string,
  login = adele().userPrincipalName,
  passwd = PASSWORD,
  e = emulator,
) {
  const page = await browser.get(url);
  const html = await page.text();
  assert.ok(isSignInForm(html), 'expected the sign-in form');
  return browser.post(endpoint('/login', e), {
    flowToken: inputs(html).flowToken ?? '',
    login,
    passwd,
  });
}

async function redeemCode(
  app: AppRegistration,
  code: string,
  extra: Record<string, string> = {},
  e = emulator,
) {
  return tokenRequest(
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: app.redirectUris[0] ?? '',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      ...extra,
    },
    e,
  );
}

async function tokenRequest(
  form: Record<string, string>,
  e = emulator,
  headers: Record<string, string> = {},
) {
  const response = await fetch(endpoint('/oauth2/v2.0/token', e), {
    method: 'POST',
    body: new URLSearchParams(form),
    headers,
  });
  return { status: response.status, headers: response.headers, body: await json(response) };
}

/** A full sign-in of Adele into `app` through a fresh browser; returns the browser and the tokens. */
async function signedIn(app = WEB, browser = new Browser()) {
  const redirect = redirectParameters(await signIn(browser, authorizeUrl(app)));
  const tokens = await redeemCode(app, redirect.get('code') ?? '');
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return { browser, redirect, tokens: tokens.body };
}

function assertEntraError(body: Record<string, unknown>, error: string, code: number) {
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(
    String(body.error_description),
    new RegExp(
      `^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
    ),
  );
  assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/);
  assert.match(String(body.correlation_id), /^[0-9a-f-]{36}$/);
}

describe('metadata', () => {
  test('the discovery document looks like Entra v2.0 for the tenant', async () => {
    const response = await fetch(endpoint('/v2.0/.well-known/openid-configuration'));
    assert.equal(response.status, 200);
    const doc = await json(response);
    assert.equal(doc.issuer, `${emulator.identityUrl}/${TENANT_ID}/v2.0`);
    assert.equal(doc.issuer, emulator.issuer);
    assert.equal(doc.authorization_endpoint, endpoint('/oauth2/v2.0/authorize'));
    assert.equal(doc.token_endpoint, endpoint('/oauth2/v2.0/token'));
    assert.equal(doc.end_session_endpoint, endpoint('/oauth2/v2.0/logout'));
    assert.equal(doc.jwks_uri, endpoint('/discovery/v2.0/keys'));
    assert.deepEqual(doc.response_modes_supported, ['query', 'fragment', 'form_post']);
    assert.deepEqual(doc.subject_types_supported, ['pairwise']);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
    assert.equal(doc.frontchannel_logout_supported, true);
    assert.equal(doc.http_logout_supported, true);
    assert.ok(!Object.keys(doc).some((key) => key.startsWith('backchannel')));
    assert.match(emulator.identityUrl, /^http:\/\/localhost:\d+$/);
  });

  test('another tenant is AADSTS90002', async () => {
    const response = await fetch(
      `${emulator.identityUrl}/common/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(response.status, 400);
    assertEntraError(await json(response), 'invalid_tenant', 90002);
  });

  test('the JWKS publishes one RS256 signing key', async () => {
    const { keys } = await json(await fetch(endpoint('/discovery/v2.0/keys')));
    assert.equal(keys.length, 1);
    assert.equal(keys[0].kty, 'RSA');
    assert.equal(keys[0].use, 'sig');
    assert.equal(keys[0].alg, 'RS256');
    assert.ok(keys[0].kid);
    assert.equal(keys[0].d, undefined);
  });
});

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
      issuer: emulator.issuer,
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
      issuer: emulator.issuer,
      audience: emulator.graphAudience,
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
    const second = redirectParameters(await browser.get(authorizeUrl(OTHER)));
    assert.equal(second.get('session_state'), redirect.get('session_state'));
    const tokens = await redeemCode(OTHER, second.get('code') ?? '');
    assert.equal(decodeJwt(tokens.body.id_token).sid, redirect.get('session_state'));
  });

  test('the SSO cookie is emulator.ESTSAUTH: HttpOnly, SameSite=Lax, path /, not Secure', async () => {
    const response = await signIn(new Browser(), authorizeUrl(WEB));
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.length, 1);
    const [cookie = ''] = cookies;
    assert.match(cookie, /^emulator\.ESTSAUTH=[\w-]{43}; path=\/; samesite=lax; httponly$/);
  });

  test('prompt=login shows the form despite the SSO session; prompt=none uses it', async () => {
    const { browser, redirect } = await signedIn();
    const page = await browser.get(authorizeUrl(WEB, { prompt: 'login' }));
    assert.ok(isSignInForm(await page.text()));
    const silent = redirectParameters(await browser.get(authorizeUrl(WEB, { prompt: 'none' })));
    assert.ok(silent.get('code'));
    assert.equal(silent.get('session_state'), redirect.get('session_state'));
  });

  test('prompt=none without a session is login_required (AADSTS50058)', async () => {
    const redirect = redirectParameters(
      await new Browser().get(authorizeUrl(WEB, { prompt: 'none' })),
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
    const html = await (await browser.get(authorizeUrl(WEB, { prompt: 'select_account' }))).text();
    assert.match(html, /Adele Vance/);
    const flowToken = inputs(html).flowToken ?? '';
    const another = /<a href="([^"]+)" id="use-another-account">/
      .exec(html)?.[1]
      ?.replace(/&amp;/g, '&');
    const form = await browser.get(new URL(another ?? '', emulator.identityUrl).href);
    assert.ok(isSignInForm(await form.text()), '"Use another account" shows the form');
    const picked = redirectParameters(
      await browser.post(endpoint('/login'), { flowToken, action: 'continue' }),
    );
    assert.ok(picked.get('code'));
  });

  test("login_hint: the session's user signs in silently, another user gets the form, prefilled", async () => {
    const { browser, tokens } = await signedIn();
    // msal sends the id token's opaque login_hint claim when given an account.
    const opaqueHint = String(decodeJwt(tokens.id_token).login_hint);
    redirectParameters(await browser.get(authorizeUrl(WEB, { login_hint: opaqueHint })));
    redirectParameters(
      await browser.get(authorizeUrl(WEB, { login_hint: adele().userPrincipalName })),
    );
    const megan = emulator.users[2]?.userPrincipalName ?? '';
    const html = await (await browser.get(authorizeUrl(WEB, { login_hint: megan }))).text();
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
    const custom = await startEmulator(options({ password: 'S3cret-value' }));
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
    const html = await (await browser.get(authorizeUrl(WEB))).text();
    const redirect = redirectParameters(
      await browser.post(endpoint('/login'), {
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

  test('bad requests from a known client go back to it: scope, response_type, PKCE method', async () => {
    const cases: Array<[Record<string, string>, string, number]> = [
      [{ scope: 'openid Files.Read' }, 'invalid_scope', 70011],
      [{ scope: 'User.Read' }, 'invalid_scope', 70011],
      [{ response_type: 'token' }, 'unsupported_response_type', 70005],
      [{ code_challenge: 'abc', code_challenge_method: 'plain' }, 'invalid_request', 50149],
    ];
    for (const [parameters, error, code] of cases) {
      const redirect = redirectParameters(
        await fetch(authorizeUrl(WEB, parameters), { redirect: 'manual' }),
      );
      assert.equal(redirect.get('error'), error);
      assert.match(redirect.get('error_description') ?? '', new RegExp(`^AADSTS${code}: `));
    }
  });

  test('Graph scopes with or without prefix, and .default, are understood', async () => {
    const browser = new Browser();
    const scope = 'openid offline_access https://graph.microsoft.com/.default';
    const redirect = redirectParameters(await signIn(browser, authorizeUrl(WEB, { scope })));
    const tokens = await redeemCode(WEB, redirect.get('code') ?? '');
    assert.equal(tokens.body.scope, 'User.Read User.ReadBasic.All Mail.Read openid');
    const onlyOidc = redirectParameters(
      await browser.get(authorizeUrl(WEB, { scope: 'openid profile email' })),
    );
    const plain = await redeemCode(WEB, onlyOidc.get('code') ?? '');
    assert.equal(plain.body.scope, 'User.Read openid profile email');
    assert.equal(plain.body.refresh_token, undefined, 'no offline_access, no refresh token');
    assert.equal(decodeJwt(plain.body.id_token).email, adele().mail);
  });
});

describe('token endpoint', () => {
  test('a code is single use: the second redemption is AADSTS54005', async () => {
    const redirect = redirectParameters(await signIn(new Browser(), authorizeUrl(WEB)));
    const code = redirect.get('code') ?? '';
    const first = await redeemCode(WEB, code);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const second = await redeemCode(WEB, code);
    assert.equal(second.status, 400);
    assert.equal(second.headers.get('cache-control'), 'no-store');
    assertEntraError(second.body, 'invalid_grant', 54005);
    assert.deepEqual(Object.keys(second.body).sort(), [
      'correlation_id',
      'error',
      'error_codes',
      'error_description',
      'timestamp',
      'trace_id',
    ]);
  });

  test('codes are bound to their client, their redirect URI, and their PKCE challenge', async () => {
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const browser = new Browser();
    const url = authorizeUrl(WEB, { code_challenge: challenge, code_challenge_method: 'S256' });
    const code = redirectParameters(await signIn(browser, url)).get('code') ?? '';
    assertEntraError((await redeemCode(OTHER, code)).body, 'invalid_grant', 70000);
    assertEntraError(
      (await redeemCode(WEB, code, { redirect_uri: WEB.redirectUris[1] ?? '' })).body,
      'invalid_grant',
      50011,
    );
    assertEntraError((await redeemCode(WEB, code)).body, 'invalid_grant', 501481);
    assertEntraError(
      (await redeemCode(WEB, code, { code_verifier: `${verifier}x` })).body,
      'invalid_grant',
      501481,
    );
    assert.equal((await redeemCode(WEB, code, { code_verifier: verifier })).status, 200);
    assertEntraError((await redeemCode(WEB, 'no-such-code')).body, 'invalid_grant', 70008);
  });

  test('client authentication: unknown client, wrong secret, HTTP Basic', async () => {
    const code =
      redirectParameters(await signIn(new Browser(), authorizeUrl(WEB))).get('code') ?? '';
    const unknown = await redeemCode(WEB, code, { client_id: randomUUID() });
    assert.equal(unknown.status, 400);
    assertEntraError(unknown.body, 'unauthorized_client', 700016);
    const wrong = await redeemCode(WEB, code, { client_secret: 'nope' });
    assert.equal(wrong.status, 401);
    assertEntraError(wrong.body, 'invalid_client', 7000215);
    const basic = `Basic ${Buffer.from(`${WEB.clientId}:${WEB.clientSecret}`).toString('base64')}`;
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: WEB.redirectUris[0] ?? '',
    };
    assert.equal((await tokenRequest(form, emulator, { Authorization: basic })).status, 200);
    const grant = await tokenRequest({
      grant_type: 'password',
      client_id: WEB.clientId,
      client_secret: WEB.clientSecret,
    });
    assertEntraError(grant.body, 'unsupported_grant_type', 70003);
  });

  test('refresh_token grant: new tokens with id_token and client_info, rotation keeps the old token valid', async () => {
    const { tokens } = await signedIn();
    const refresh = (refresh_token: string, app = WEB) =>
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token,
        client_id: app.clientId,
        client_secret: app.clientSecret,
        scope: 'openid profile offline_access Mail.Read',
      });
    const first = await refresh(tokens.refresh_token);
    assert.equal(first.status, 200);
    assert.equal(first.body.scope, 'Mail.Read openid profile');
    assert.ok(first.body.id_token && first.body.client_info && first.body.access_token);
    assert.notEqual(first.body.refresh_token, tokens.refresh_token);
    assert.equal(decodeJwt(first.body.id_token).sid, decodeJwt(tokens.id_token).sid);
    assert.equal((await refresh(tokens.refresh_token)).status, 200);
    assertEntraError((await refresh(tokens.refresh_token, OTHER)).body, 'invalid_grant', 70000);
    assertEntraError((await refresh('garbage')).body, 'invalid_grant', 9002313);
  });

  test('the token endpoint records what it saw, without secrets', async () => {
    const before = emulator.tokenRequests.length;
    await signedIn();
    assert.deepEqual(emulator.tokenRequests.slice(before), [
      { grantType: 'authorization_code', clientId: WEB.clientId, ok: true },
    ]);
  });
});

describe('sign-out', () => {
  /** Signs Adele in to WEB, OTHER and SILENT through one browser. */
  async function signedInEverywhere(e = emulator) {
    const browser = new Browser();
    const first = redirectParameters(
      await signIn(browser, authorizeUrl(WEB, {}, e), undefined, undefined, e),
    );
    const code = first.get('code') ?? '';
    const tokens = await redeemCode(WEB, code, {}, e);
    for (const app of [OTHER, SILENT])
      redirectParameters(await browser.get(authorizeUrl(app, {}, e)));
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
    const page = await browser.get(url.href);
    assert.equal(page.status, 200);
    const { frames, next } = logoutPage(await page.text());
    assert.deepEqual(frames, [
      `http://localhost:9/logout?app=web&sid=${sid}`,
      `http://localhost:9/other/logout?sid=${sid}`,
    ]);
    assert.equal(next, `${WEB.redirectUris[1]}?state=bye`);

    const again = await browser.get(authorizeUrl(WEB));
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
    const page = await browser.post(endpoint('/oauth2/v2.0/logout'), form);
    const { frames, next } = logoutPage(await page.text());
    assert.equal(frames.length, 2);
    assert.equal(next, endpoint('/oauth2/v2.0/logoutsession'));
    const signedOut = await fetch(next ?? '');
    assert.match(await signedOut.text(), /You signed out of your account/);
  });

  test('without an SSO session the page still continues, with no iframes', async () => {
    const page = await new Browser().get(
      `${endpoint('/oauth2/v2.0/logout')}?post_logout_redirect_uri=${encodeURIComponent(WEB.redirectUris[1] ?? '')}`,
    );
    const { frames, next } = logoutPage(await page.text());
    assert.deepEqual(frames, []);
    assert.equal(next, WEB.redirectUris[1]);
  });

  test('the SSO session page shows the session and signs out from the browser', async () => {
    const { browser, sid } = await signedInEverywhere();
    const html = await (await browser.get(`${emulator.identityUrl}/`)).text();
    assert.match(html, new RegExp(`<code id="sso-sid">${sid}</code>`));
    assert.match(html, /Web app, Other app, App without logout URL/);
    assert.match(
      html,
      new RegExp(`<form method="post" action="/${TENANT_ID}/oauth2/v2.0/logout">`),
    );
    const { frames } = logoutPage(
      await (await browser.post(endpoint('/oauth2/v2.0/logout'), {})).text(),
    );
    assert.equal(frames.length, 2);
    assert.match(await (await browser.get(`${emulator.identityUrl}/`)).text(), /id="no-session"/);
  });

  test('frontChannelLogoutIncludesIss adds the issuer, as OIDC Front-Channel Logout 1.0 says', async () => {
    const withIss = await startEmulator(options({ frontChannelLogoutIncludesIss: true }));
    try {
      const { browser, sid } = await signedInEverywhere(withIss);
      const { frames } = logoutPage(
        await (await browser.get(endpoint('/oauth2/v2.0/logout', withIss))).text(),
      );
      const first = new URL(frames[0] ?? '');
      assert.equal(first.searchParams.get('sid'), sid);
      assert.equal(first.searchParams.get('iss'), withIss.issuer);
    } finally {
      await withIss.close();
    }
  });
});

describe('Graph-like API', () => {
  const graph = (path: string, token?: string) =>
    fetch(
      `${emulator.graphUrl}${path}`,
      token ? { headers: { Authorization: `Bearer ${token}` } } : {},
    );

  test('/me, /users and /me/messages answer with a token holding the scope', async () => {
    const browser = new Browser();
    const scope = 'openid offline_access User.Read User.ReadBasic.All Mail.Read';
    const code =
      redirectParameters(await signIn(browser, authorizeUrl(WEB, { scope }))).get('code') ?? '';
    const { access_token: token } = (await redeemCode(WEB, code)).body;

    const me = await json(await graph('/v1.0/me', token));
    assert.equal(me.id, adele().oid);
    assert.equal(me.displayName, 'Adele Vance');
    assert.match(me['@odata.context'], /\$metadata#users\/\$entity$/);
    const users = await json(await graph('/v1.0/users', token));
    assert.equal(users.value.length, emulator.users.length);
    assert.deepEqual(
      Object.keys(users.value[0]).filter((key) =>
        ['id', 'displayName', 'userPrincipalName', 'mail', 'jobTitle'].includes(key),
      ).length,
      5,
    );
    const messages = await json(await graph('/v1.0/me/messages', token));
    assert.ok(messages.value.length >= 2);
    assert.ok(
      messages.value[0].subject &&
        messages.value[0].from.emailAddress.address &&
        messages.value[0].receivedDateTime,
    );
    assert.deepEqual(emulator.graphRequests.at(-1), {
      path: '/v1.0/me/messages',
      status: 200,
      oid: adele().oid,
    });
  });

  test('no token or a forged one is 401 InvalidAuthenticationToken', async () => {
    const missing = await graph('/v1.0/me');
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer /);
    const body = await json(missing);
    assert.equal(body.error.code, 'InvalidAuthenticationToken');
    assert.ok(body.error.innerError['request-id'] && body.error.innerError.date);

    const { privateKey } = await generateKeyPair('RS256');
    const { tokens } = await signedIn();
    const claims = decodeJwt(tokens.access_token);
    // Same claims, same kid, another key: only the signature gives it away.
    const { kid } = decodeProtectedHeader(tokens.access_token);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(privateKey);
    const rejected = await graph('/v1.0/me', forged);
    assert.equal(rejected.status, 401);
    assert.equal((await json(rejected)).error.code, 'InvalidAuthenticationToken');
  });

  test('a token without the scope is 403; an unknown path is 404', async () => {
    const { tokens } = await signedIn();
    const denied = await graph('/v1.0/me/messages', tokens.access_token);
    assert.equal(denied.status, 403);
    const body = await json(denied);
    assert.equal(body.error.code, 'Authorization_RequestDenied');
    assert.equal(body.error.message, 'Insufficient privileges to complete the operation.');
    assert.equal((await graph('/v1.0/users', tokens.access_token)).status, 403);
    assert.equal((await graph('/v1.0/groups', tokens.access_token)).status, 404);
  });
});

describe('msal-node against the emulator', () => {
  async function msalClient(e: RunningEmulator) {
    const host = new URL(e.identityUrl).host;
    const metadata = await (
      await fetch(endpoint('/v2.0/.well-known/openid-configuration', e))
    ).text();
    return new ConfidentialClientApplication({
      auth: {
        clientId: WEB.clientId,
        clientSecret: WEB.clientSecret,
        // msal wants an https authority; it is only an identifier, the endpoints come from the metadata.
        authority: `https://${host}/${TENANT_ID}`,
        knownAuthorities: [host],
        authorityMetadata: metadata,
      },
    });
  }

  /** getAuthCodeUrl with PKCE and a nonce, the form, then acquireTokenByCode. */
  async function msalSignIn(e: RunningEmulator) {
    const msal = await msalClient(e);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const nonce = randomUUID();
    const redirectUri = WEB.redirectUris[0] ?? '';
    const url = await msal.getAuthCodeUrl({
      scopes: ['User.Read'],
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      nonce,
      state: 'msal-state',
    });
    const redirect = redirectParameters(await signIn(new Browser(), url, undefined, undefined, e));
    assert.equal(redirect.get('state'), 'msal-state');
    const result = await msal.acquireTokenByCode({
      code: redirect.get('code') ?? '',
      scopes: ['User.Read'],
      redirectUri,
      codeVerifier: verifier,
      nonce,
    });
    return { msal, result, account: result.account as AccountInfo };
  }

  test('signs in end to end; acquireTokenSilent is then served from the cache', async () => {
    const { msal, result, account } = await msalSignIn(emulator);
    assert.equal(account.homeAccountId, `${adele().oid}.${TENANT_ID}`);
    assert.equal(account.localAccountId, adele().oid);
    assert.equal(account.username, adele().userPrincipalName);
    assert.deepEqual(result.scopes, ['User.Read', 'openid', 'profile']);

    const before = emulator.tokenRequests.length;
    const silent = await msal.acquireTokenSilent({ account, scopes: ['User.Read'] });
    assert.equal(silent.fromCache, true);
    assert.equal(silent.accessToken, result.accessToken);
    assert.equal(emulator.tokenRequests.length, before, 'no call to the token endpoint');

    const me = await fetch(`${emulator.graphUrl}/v1.0/me`, {
      headers: { Authorization: `Bearer ${silent.accessToken}` },
    });
    assert.equal(me.status, 200);
  });

  test("with access tokens shorter than msal's 5-minute margin, every silent call refreshes", async () => {
    const shortLived = await startEmulator(options({ accessTokenLifetimeSeconds: 60 }));
    try {
      const { msal, account } = await msalSignIn(shortLived);
      const cached = JSON.parse(msal.getTokenCache().serialize()).AccessToken;
      assert.equal(
        Object.keys(cached).length,
        1,
        'msal caches the short-lived access token anyway',
      );
      for (let call = 1; call <= 2; call++) {
        const silent = await msal.acquireTokenSilent({ account, scopes: ['User.Read'] });
        assert.equal(silent.fromCache, false);
        assert.deepEqual(
          shortLived.tokenRequests.map((request) => request.grantType),
          ['authorization_code', ...Array(call).fill('refresh_token')],
        );
      }
      assert.ok(shortLived.tokenRequests.every((request) => request.ok));
    } finally {
      await shortLived.close();
    }
  });
});
