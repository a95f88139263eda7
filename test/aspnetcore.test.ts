import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allSamples } from '../samples/index.ts';
import { startProject } from '../shared/run/orchestrator.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import {
  cacheSummary,
  freePorts,
  ssoSid,
  startEnvironment,
  type TestEnvironment,
} from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const {
  signIn: signInPath,
  signOut: signOutPath,
  api: profilePath,
  redirect: redirectPath,
  postLogout: postLogoutPath,
  signedOut: signedOutPath,
  frontChannel: frontChannelPath,
} = SAMPLE_ROUTES.aspnetcore;

describe('aspnetcore: removes the user from the token cache on sign-out', () => {
  let env: TestEnvironment;
  let password: string;
  const user = (index: number) => env.emulator.users[index]!.userPrincipalName;
  const tokenRequests = (grantType: string) =>
    env.emulator.tokenRequests.filter((request) => request.grantType === grantType).length;

  /** A fresh browser signed in to the sample as the user `index`. */
  async function signedIn(index = 0): Promise<Browser> {
    const browser = new Browser();
    const home = await browser.signIn(env.sample.url + signInPath, user(index), password);
    assert.equal(home.status, 200);
    assert.match(home.html, new RegExp(`id="signed-in-user">${user(index)}<`));
    return browser;
  }

  before(async () => {
    env = await startEnvironment('aspnetcore');
    password = env.password;
  });
  after(() => env.close());

  test('signs in with form_post and calls Graph /me with a token from the cache', async () => {
    const browser = await signedIn(0);
    const codesBefore = tokenRequests('authorization_code');
    const graphBefore = env.emulator.graphRequests.length;

    const first = await browser.get(env.sample.url + profilePath);
    assert.equal(first.status, 200);
    assert.match(first.html, new RegExp(env.emulator.users[0]!.displayName));
    const second = await browser.get(env.sample.url + profilePath);
    assert.equal(second.status, 200);

    // Both calls reached Graph, with no token request in between: the token came from the cache.
    assert.equal(env.emulator.graphRequests.length, graphBefore + 2);
    assert.deepEqual(
      env.emulator.graphRequests.slice(-2).map((request) => [request.path, request.status]),
      [
        ['/v1.0/me', 200],
        ['/v1.0/me', 200],
      ],
    );
    assert.equal(tokenRequests('authorization_code'), codesBefore);
    assert.equal(tokenRequests('refresh_token'), 0);
  });

  test('the cache inspector shows a command that can be pasted as it is', async () => {
    const page = await new Browser().get(`${env.sample.url}/cache`);
    assert.match(
      page.html,
      new RegExp(
        `<code id="cache-json-command">curl -H 'Accept: application/json' ${env.sample.url}/cache</code>`,
      ),
    );
  });

  test("another user signing in in the same browser (an account switch): the first user's tokens go with their session", async () => {
    const browser = await signedIn(0);
    assert.equal((await browser.get(env.sample.url + profilePath)).status, 200);
    // The identity platform's cookies forgotten (another account, as in Entra's account picker),
    // the sample's kept: the sign-in replaces Adele's session here with Alex's.
    await browser.jar.store.removeCookies(new URL(env.emulator.identityUrl).hostname, null);
    const home = await browser.signIn(env.sample.url + signInPath, user(1), password);
    assert.match(home.html, new RegExp(`id="signed-in-user">${user(1)}<`));
    // Nothing leads a sign-out to Adele's tokens through this browser any more: they are gone.
    const summary = await cacheSummary(env.sample.url);
    assert.deepEqual(
      summary.accounts.map((account) => account.username),
      [user(1)],
    );
    await browser.get(env.sample.url + signOutPath);
  });

  test('sign-in sends state, nonce and a PKCE S256 challenge, and asks for a form_post response', async () => {
    const response = await new Browser().request(env.sample.url + signInPath);
    assert.equal(response.status, 302);
    const authorize = new URL(response.headers.get('location')!);
    assert.equal(authorize.pathname, `/${env.emulator.tenantId}/oauth2/v2.0/authorize`);
    const params = authorize.searchParams;
    assert.equal(params.get('response_mode'), 'form_post');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.match(params.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.ok((params.get('state') ?? '').length >= 32);
    assert.ok((params.get('nonce') ?? '').length >= 32);
    assert.equal(params.get('redirect_uri'), env.sample.url + redirectPath);
    // It declares cp1 (Continuous Access Evaluation), as Microsoft.Identity.Web's ClientCapabilities.
    assert.deepEqual(JSON.parse(params.get('claims') ?? '{}').access_token, {
      xms_cc: { values: ['cp1'] },
    });
    // Only the identity platform may frame the front-channel URL; nobody may frame other pages.
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const frontChannel = await fetch(`${env.sample.url}${frontChannelPath}?sid=unknown`);
    assert.equal(
      frontChannel.headers.get('content-security-policy'),
      `frame-ancestors ${env.emulator.identityUrl}`,
    );
  });

  test('local sign-out empties the user partition, ends the session and goes to the end-session endpoint', async () => {
    const browser = await signedIn(1);
    await browser.get(env.sample.url + profilePath);
    const username = user(1);
    const sessionCookie = await browser.jar.getCookieString(env.sample.url);
    assert.match(sessionCookie, /aspnetcore\.session=/);
    const before = await cacheSummary(env.sample.url);
    assert.ok(before.accounts.some((account) => account.username === username));

    const response = await browser.request(env.sample.url + signOutPath);
    assert.equal(response.status, 302);
    const logout = new URL(response.headers.get('location')!);
    assert.equal(
      logout.origin + logout.pathname,
      `${env.emulator.identityUrl}/${env.emulator.tenantId}/oauth2/v2.0/logout`,
    );
    assert.equal(
      logout.searchParams.get('post_logout_redirect_uri'),
      env.sample.url + postLogoutPath,
    );
    assert.ok(logout.searchParams.get('state'));
    assert.ok(logout.searchParams.get('logout_hint'));

    const after = await cacheSummary(env.sample.url);
    assert.ok(!after.accounts.some((account) => account.username === username));
    // The session is gone on the server too: its old cookie, replayed, signs nobody in.
    const replayed = await fetch(`${env.sample.url}/`, { headers: { cookie: sessionCookie } });
    assert.doesNotMatch(await replayed.text(), /id="signed-in-user"/);
    // The identity platform then signs the browser out and comes back to the SignedOut page.
    const signedOut = await browser.navigate(logout.href, { method: 'GET' });
    assert.equal(new URL(signedOut.url).pathname, signedOutPath);
    assert.doesNotMatch(signedOut.html, /id="signed-in-user"/);
  });
});

describe('aspnetcore: global sign-out through the front-channel logout URL', () => {
  let env: TestEnvironment;
  const user = (index: number) => env.emulator.users[index]!.userPrincipalName;
  const signedIn = async (index: number) => {
    const browser = new Browser();
    await browser.signIn(env.sample.url + signInPath, user(index), env.password);
    return browser;
  };
  const cachedUsernames = async () =>
    (await cacheSummary(env.sample.url)).accounts.map((account) => account.username).sort();
  const isSignedIn = async (browser: Browser) =>
    /id="signed-in-user"/.test((await browser.get(`${env.sample.url}/`)).html);
  /** The `sid` of the browser's identity platform session. */
  const sidOf = (browser: Browser) => ssoSid(browser, env.emulator);
  const frontChannel = (query: string, init: RequestInit = {}) =>
    fetch(`${env.sample.url}${frontChannelPath}?${query}`, { redirect: 'manual', ...init });

  before(async () => {
    env = await startEnvironment('aspnetcore');
  });
  after(() => env.close());

  test('sign-out started from the emulator removes the tokens and ends the session, with no cookie', async () => {
    const browser = await signedIn(2);
    assert.equal((await browser.get(env.sample.url + profilePath)).status, 200);
    assert.deepEqual(await cachedUsernames(), [user(2)]);

    // "Sign out everywhere" on the emulator's SSO session page: sign-out not started by the sample.
    const ssoPage = await browser.get(`${env.emulator.identityUrl}/`);
    const form = parseForm(ssoPage.html, ssoPage.url, (html) => html.includes('/logout'));
    await browser.post(form.action, form.fields);

    // The browser loaded the front-channel logout URL, without cookies, and got what Entra expects.
    assert.equal(browser.frontChannelRequests.length, 1);
    const [request] = browser.frontChannelRequests;
    assert.match(
      request!.url,
      new RegExp(`^${env.sample.url}${frontChannelPath}\\?sid=[0-9a-f-]{36}$`),
    );
    assert.equal(request!.status, 200);
    assert.equal(request!.headers.get('cache-control'), 'no-cache, no-store');
    assert.equal(request!.headers.get('pragma'), 'no-cache');
    assert.equal(request!.headers.get('location'), null);

    assert.deepEqual(await cachedUsernames(), []);
    assert.equal(await isSignedIn(browser), false);
    // The profile now needs a new sign-in: the identity platform's sign-in form, as SSO ended too.
    const profile = await browser.get(env.sample.url + profilePath);
    assert.match(profile.html, /name="passwd"/);
  });

  test("a user who signs in over another in the same browser is not signed out by the first one's sid", async () => {
    const browser = await signedIn(0);
    const adeleSid = await sidOf(browser);
    // Adele's identity platform session ends on its own (say, it expired): Alex signs in instead.
    await browser.jar.setCookie('emulator.ESTSAUTH=; Max-Age=0', env.emulator.identityUrl);
    const home = await browser.signIn(env.sample.url + signInPath, user(1), env.password);
    assert.match(home.html, new RegExp(`id="signed-in-user">${user(1)}<`));

    const stale = await frontChannel(`sid=${adeleSid}`);
    assert.equal(stale.status, 200);
    assert.equal(await isSignedIn(browser), true, "Alex's session does not belong to Adele's sid");
    assert.ok((await cachedUsernames()).includes(user(1)));
    await frontChannel(`sid=${await sidOf(browser)}`);
    assert.equal(await isSignedIn(browser), false);
  });

  test('front-channel requests that do not match change nothing, and are still a 200', async () => {
    const adele = await signedIn(0);
    const alex = await signedIn(1);
    const adeleSid = await sidOf(adele);
    const everyone = [user(0), user(1)].sort();

    const unknown = await frontChannel('sid=00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 200);
    assert.equal(unknown.headers.get('cache-control'), 'no-cache, no-store');
    assert.equal((await frontChannel('')).status, 400);

    const wrongIssuer = await frontChannel(
      `sid=${adeleSid}&iss=${encodeURIComponent('https://login.example/other/v2.0')}`,
    );
    assert.equal(wrongIssuer.status, 200);

    assert.deepEqual(await cachedUsernames(), everyone);
    assert.equal(await isSignedIn(adele), true);
    assert.equal(await isSignedIn(alex), true);

    // Control: the right issuer, as a form POST (the spec's other method), does sign Adele out.
    const matching = await frontChannel('', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sid: adeleSid, iss: env.emulator.issuer }).toString(),
    });
    assert.equal(matching.status, 200);
    assert.deepEqual(await cachedUsernames(), [user(1)]);
    assert.equal(await isSignedIn(adele), false);
    assert.equal(await isSignedIn(alex), true);
    await alex.get(env.sample.url + signOutPath);
  });

  test("a cookie of another sid that comes along (a 2019 browser's) shields nobody, and is not signed out", async () => {
    const megan = await signedIn(2);
    const alex = await signedIn(1);
    // Alex's browser sends Alex's cookie with Megan's sid: Megan's sign-out all the same.
    const mismatch = await alex.request(
      `${env.sample.url}${frontChannelPath}?sid=${await sidOf(megan)}`,
    );
    assert.equal(mismatch.status, 200);
    assert.doesNotMatch(mismatch.headers.getSetCookie().join('\n'), /aspnetcore\.session=;/);
    assert.deepEqual(await cachedUsernames(), [user(1)]);
    assert.equal(await isSignedIn(megan), false);
    assert.equal(await isSignedIn(alex), true, "Alex's session is another sign-in's: it stays");
    // With Alex's own sid, his cookie goes too.
    const matching = await alex.request(
      `${env.sample.url}${frontChannelPath}?sid=${await sidOf(alex)}`,
    );
    assert.match(matching.headers.getSetCookie().join('\n'), /aspnetcore\.session=;/);
    assert.equal(await isSignedIn(alex), false);
  });
});

describe('aspnetcore: two users at once', () => {
  let env: TestEnvironment;
  before(async () => {
    env = await startEnvironment('aspnetcore');
  });
  after(() => env.close());

  test("each sees only their own profile, and one's sign-out leaves the other's tokens", async () => {
    const [adele, megan] = [env.emulator.users[0]!, env.emulator.users[2]!];
    const password = env.password;
    const adeleBrowser = new Browser();
    const meganBrowser = new Browser();
    await adeleBrowser.signIn(env.sample.url + signInPath, adele.userPrincipalName, password);
    await meganBrowser.signIn(env.sample.url + signInPath, megan.userPrincipalName, password);

    const adeleProfile = (await adeleBrowser.get(env.sample.url + profilePath)).html;
    const meganProfile = (await meganBrowser.get(env.sample.url + profilePath)).html;
    assert.match(adeleProfile, new RegExp(adele.userPrincipalName));
    assert.doesNotMatch(adeleProfile, new RegExp(megan.userPrincipalName));
    assert.match(meganProfile, new RegExp(megan.userPrincipalName));
    assert.doesNotMatch(meganProfile, new RegExp(adele.userPrincipalName));
    assert.equal((await cacheSummary(env.sample.url)).accounts.length, 2);

    await adeleBrowser.get(env.sample.url + signOutPath);
    const summary = await cacheSummary(env.sample.url);
    assert.deepEqual(
      summary.accounts.map((account) => account.username),
      [megan.userPrincipalName],
    );
    assert.ok(summary.accessTokens >= 1 && summary.refreshTokens === 1 && summary.idTokens === 1);

    const tokenCallsBefore = env.emulator.tokenRequests.length;
    assert.equal((await meganBrowser.get(env.sample.url + profilePath)).status, 200);
    assert.equal(
      env.emulator.tokenRequests.length,
      tokenCallsBefore,
      "Megan's token came from her partition",
    );
  });
});

describe('aspnetcore: silent refresh', () => {
  let env: TestEnvironment;
  before(async () => {
    // Access tokens that msal already considers expired (it renews 5 minutes before expiry).
    env = await startEnvironment('aspnetcore', {
      emulator: { accessTokenLifetimeSeconds: 60 },
    });
  });
  after(() => env.close());

  test('an expired access token is renewed with the cached refresh token, without the user', async () => {
    const browser = new Browser();
    const user = env.emulator.users[1]!;
    await browser.signIn(env.sample.url + signInPath, user.userPrincipalName, env.password);
    const profile = await browser.get(env.sample.url + profilePath);
    assert.equal(profile.status, 200);
    assert.match(profile.html, new RegExp(user.displayName));
    const refreshes = env.emulator.tokenRequests.filter(
      (request) => request.grantType === 'refresh_token',
    );
    assert.equal(refreshes.length, 1);
    assert.equal(refreshes[0]!.ok, true);
    assert.equal(env.emulator.graphRequests.at(-1)?.status, 200);
  });
});

describe('aspnetcore: sign-in refuses bad input, shows why, and keeps no tokens', () => {
  let env: TestEnvironment;
  const password = () => env.password;
  const username = () => env.emulator.users[0]!.userPrincipalName;
  const emptyCache = async (url = env.sample.url) => {
    const { removalMarkers: _, ...summary } = await cacheSummary(url);
    assert.deepEqual(summary, {
      accounts: [],
      accessTokens: 0,
      refreshTokens: 0,
      idTokens: 0,
      warmUsers: 0,
      sessions: 0,
      sids: 0,
      entries: 0,
      signedIn: [],
      holders: [],
    });
  };

  /** Signs in up to the form_post page and returns the authorization response's fields. */
  async function authorizationResponse(browser: Browser) {
    browser.autoSubmitForms = false;
    const page = await browser.signIn(env.sample.url + signInPath, username(), password());
    browser.autoSubmitForms = true;
    const form = parseForm(page.html, page.url);
    assert.equal(form.action, env.sample.url + redirectPath);
    assert.ok(form.fields.code && form.fields.state);
    return form;
  }

  before(async () => {
    env = await startEnvironment('aspnetcore');
  });
  after(() => env.close());

  test('a response without state, or with a forged one, is refused before the code is redeemed', async () => {
    const codeRedemptions = () =>
      env.emulator.tokenRequests.filter((request) => request.grantType === 'authorization_code')
        .length;
    for (const state of [undefined, 'forged-state']) {
      const browser = new Browser();
      const form = await authorizationResponse(browser);
      const fields: Record<string, string> = { ...form.fields };
      if (state === undefined) delete fields.state;
      else fields.state = state;
      const before = codeRedemptions();
      const page = await browser.post(form.action, fields);
      assert.equal(page.status, 400);
      assert.match(page.html, /state is wrong/);
      assert.equal(codeRedemptions(), before);
    }
    await emptyCache();
  });

  test('a replayed authorization response is refused', async () => {
    const browser = new Browser();
    const form = await authorizationResponse(browser);
    assert.equal((await browser.post(form.action, form.fields)).status, 200);
    await browser.get(env.sample.url + signOutPath);
    const replay = await browser.post(form.action, form.fields);
    assert.equal(replay.status, 400);
    assert.match(replay.html, /already used/);
    await emptyCache();
  });

  test('a response from another browser is refused (no login CSRF)', async () => {
    const form = await authorizationResponse(new Browser());
    const victim = new Browser();
    const page = await victim.post(form.action, form.fields);
    assert.equal(page.status, 400);
    assert.match(page.html, /started in this browser/);
    await emptyCache();
  });

  test('an error from the identity platform is shown with its AADSTS code', async () => {
    const browser = new Browser();
    const signInPage = await browser.get(env.sample.url + signInPath);
    const form = parseForm(signInPage.html, signInPage.url, (html) =>
      html.includes('name="passwd"'),
    );
    const cancel = form.buttons.Cancel;
    assert.ok(cancel, 'the sign-in page has a Cancel button');
    const page = await browser.post(form.action, { ...form.fields, ...cancel });
    assert.equal(page.status, 400);
    assert.match(page.html, /access_denied/);
    assert.match(page.html, /AADSTS65004/);
    await emptyCache();
  });

  test('a return path to another site is ignored (no open redirect)', async () => {
    for (const redirectUri of [
      'https://evil.example/',
      '/x/..//evil.example/path',
      '/.//evil.example',
      '/\\evil.example',
    ]) {
      const browser = new Browser();
      const page = await browser.signIn(
        `${env.sample.url}${signInPath}?redirectUri=${encodeURIComponent(redirectUri)}`,
        username(),
        password(),
      );
      assert.equal(page.url, `${env.sample.url}/`, redirectUri);
      await browser.get(env.sample.url + signOutPath);
    }
  });

  test('starting a sign-in keeps nothing on the server; a return path over 1 KB is ignored', async () => {
    for (let start = 0; start < 50; start += 1) {
      const response = await fetch(
        `${env.sample.url}${signInPath}?redirectUri=/${'x'.repeat(12 * 1024)}`,
        { redirect: 'manual' },
      );
      assert.equal(response.status, 302);
      // The transaction travels with the browser, sealed, and stays small.
      const cookie = response.headers.get('set-cookie') ?? '';
      assert.match(
        cookie,
        new RegExp(`^aspnetcore\\.signin\\.[\\w-]{16}=[\\w-]+; path=${redirectPath}; `),
      );
      assert.ok(cookie.length < 1_000, `a ${cookie.length}-byte cookie`);
    }
    await emptyCache();
    const browser = new Browser();
    const page = await browser.signIn(
      `${env.sample.url}${signInPath}?redirectUri=/${'x'.repeat(1_100)}`,
      username(),
      password(),
    );
    assert.equal(page.url, `${env.sample.url}/`);
    await browser.get(env.sample.url + signOutPath);
  });

  test('a wrong client secret fails the code redemption with a clear page', async () => {
    // The emulator holds another secret for the app than the one the sample sends.
    const misconfigured = await startEnvironment('aspnetcore', {
      customizeEmulator: (options) => ({
        ...options,
        apps: options.apps.map((app) => ({ ...app, clientSecret: 'not-the-secret' })),
      }),
    });
    try {
      const page = await new Browser().signIn(
        misconfigured.sample.url + signInPath,
        username(),
        misconfigured.password,
      );
      assert.equal(page.status, 400);
      assert.match(page.html, /refused to redeem/);
      assert.match(page.html, /invalid_client|AADSTS7000215/);
      await emptyCache(misconfigured.sample.url);
    } finally {
      await misconfigured.close();
    }
  });

  test('an unregistered redirect URI stops at the identity platform', async () => {
    // The same sample under another host name (127.0.0.1, not localhost), using the running
    // emulator: its redirect URI there is not in the app registration. (Another port alone would
    // be: the port of a loopback redirect URI does not count, as in Entra.)
    const [port] = await freePorts(1);
    const unregistered = await startProject({
      definitions: allSamples,
      run: ['aspnetcore'],
      env: {
        EMULATOR_PORT: new URL(env.emulator.identityUrl).port,
        GRAPH_PORT: new URL(env.emulator.graphUrl).port,
        ASPNETCORE_PORT: String(port),
        ASPNETCORE_BASE_URL: `http://127.0.0.1:${port}`,
      },
      emulator: 'shared',
    });
    try {
      assert.equal(unregistered.emulator?.running, undefined, 'it uses the running emulator');
      const url = unregistered.samples[0]!.url;
      const page = await new Browser().get(url + signInPath);
      assert.ok(page.url.startsWith(env.emulator.identityUrl), 'no redirect back to the app');
      assert.match(page.html, /AADSTS50011/);
      await emptyCache(url);
    } finally {
      await unregistered.close();
    }
  });
});

describe('aspnetcore: an app registration without the optional claims sid and login_hint', () => {
  let env: TestEnvironment;
  before(async () => {
    // As an Entra app registration whose "Token configuration" was left empty.
    env = await startEnvironment('aspnetcore', {
      customizeEmulator: (options) => ({
        ...options,
        apps: options.apps.map(({ optionalClaims: _, ...app }) => app),
      }),
    });
  });
  after(() => env.close());

  test('front-channel sign-out still finds the user, by the session_state of the sign-in response', async () => {
    const browser = new Browser();
    await browser.signIn(
      env.sample.url + signInPath,
      env.emulator.users[0]!.userPrincipalName,
      env.password,
    );
    assert.equal((await cacheSummary(env.sample.url)).accounts.length, 1);
    const ssoPage = await browser.get(`${env.emulator.identityUrl}/`);
    const form = parseForm(ssoPage.html, ssoPage.url, (html) => html.includes('/logout'));
    await browser.post(form.action, form.fields);
    assert.equal(browser.frontChannelRequests[0]?.status, 200);
    const summary = await cacheSummary(env.sample.url);
    assert.deepEqual([summary.accounts.length, summary.sessions], [0, 0]);
  });

  test("a sid claimed by another user never moves a sign-out: Alex's signs out Alex only, Adele's reaches Adele", async () => {
    const adeleName = env.emulator.users[0]!.userPrincipalName;
    const alexName = env.emulator.users[1]!.userPrincipalName;
    /** Signs in up to the identity platform's answer (a form_post), and returns it unsent. */
    const answerFor = async (browser: Browser, username: string) => {
      browser.autoSubmitForms = false;
      const page = await browser.signIn(env.sample.url + signInPath, username, env.password);
      browser.autoSubmitForms = true;
      return parseForm(page.html, page.url);
    };
    const signedInAs = async (browser: Browser) =>
      /id="signed-in-user">([^<]+)</.exec((await browser.get(`${env.sample.url}/`)).html)?.[1];
    const adele = new Browser();
    const adeleAnswer = await answerFor(adele, adeleName);
    await adele.post(adeleAnswer.action, adeleAnswer.fields);
    const adeleSid = adeleAnswer.fields.session_state!;
    // Alex replays his own sign-in response with Adele's sid as its session_state: without the
    // optional claim, nothing tells the app it is not his.
    const alex = new Browser();
    const claim = async () => {
      const answer = await answerFor(alex, alexName);
      assert.notEqual(answer.fields.session_state, adeleSid);
      await alex.post(answer.action, { ...answer.fields, session_state: adeleSid });
      assert.equal(await signedInAs(alex), alexName);
    };
    await claim();
    assert.equal((await cacheSummary(env.sample.url)).accounts.length, 2);

    // Alex signs out here: Adele stays signed in, with her tokens.
    await alex.get(env.sample.url + signOutPath);
    assert.equal(await signedInAs(adele), adeleName, 'Adele is still signed in');
    assert.equal((await adele.get(env.sample.url + profilePath)).status, 200);
    const afterAlex = await cacheSummary(env.sample.url);
    assert.deepEqual(
      afterAlex.accounts.map((account) => account.username),
      [adeleName],
      "only Alex's tokens went",
    );

    // Alex claims Adele's sid again; then Adele signs out everywhere, on the identity platform's
    // page: the front-channel sign-out of her sid reaches her, and whoever claimed it.
    await claim();
    const ssoPage = await adele.get(`${env.emulator.identityUrl}/`);
    const form = parseForm(ssoPage.html, ssoPage.url, (html) => html.includes('/logout'));
    await adele.post(form.action, form.fields);
    assert.equal(adele.frontChannelRequests[0]?.status, 200);
    const summary = await cacheSummary(env.sample.url);
    assert.deepEqual(
      [summary.accounts.length, summary.refreshTokens, summary.sessions],
      [0, 0, 0],
      "Adele's tokens are gone (and Alex's, who claimed her sid)",
    );
    assert.equal(await signedInAs(adele), undefined);
  });

  test('local sign-out goes to the end-session endpoint without a logout_hint it does not have', async () => {
    const browser = new Browser();
    await browser.signIn(
      env.sample.url + signInPath,
      env.emulator.users[1]!.userPrincipalName,
      env.password,
    );
    const response = await browser.request(env.sample.url + signOutPath);
    const logout = new URL(response.headers.get('location')!);
    assert.equal(logout.searchParams.get('logout_hint'), null);
    assert.ok(logout.searchParams.get('post_logout_redirect_uri'));
    assert.equal((await cacheSummary(env.sample.url)).accounts.length, 0);
  });
});
