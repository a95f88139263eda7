import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SampleName } from '../samples/index.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

/**
 * aspnet, java and python: each one's own routes, with its original's shapes, and the behaviour
 * the documentation page gives them: the cache is emptied on local sign-out only.
 */
const originals: Array<{
  name: Exclude<SampleName, 'aspnetcore'>;
  /** Where the sign-in starts, and how the authorize request must look. */
  signIn: string;
  authorize: Record<string, string>;
  api: string;
  /** Something the API page shows (proof that Graph answered with the right data). */
  apiShows: (user: { displayName: string; userPrincipalName: string }) => RegExp;
  signOut: string;
  /** The post-logout redirect URI the sample sends, relative to its base URL. */
  postLogout: string;
  /** The front-channel logout URL the original registered, and what it answers the iframe. */
  frontChannel?: { path: string; status: number };
}> = [
  {
    name: 'aspnet',
    signIn: SAMPLE_ROUTES.aspnet.signIn,
    authorize: { response_mode: 'form_post', redirect_uri: SAMPLE_ROUTES.aspnet.redirect },
    api: SAMPLE_ROUTES.aspnet.api,
    apiShows: () => /Your mail[\s\S]*<td[ >]/,
    signOut: SAMPLE_ROUTES.aspnet.signOut,
    postLogout: SAMPLE_ROUTES.aspnet.postLogout,
  },
  {
    name: 'java',
    signIn: SAMPLE_ROUTES.java.signIn,
    authorize: {
      response_mode: 'form_post',
      redirect_uri: SAMPLE_ROUTES.java.redirect,
      prompt: 'select_account',
    },
    api: SAMPLE_ROUTES.java.api,
    apiShows: (user) => new RegExp(user.userPrincipalName),
    signOut: SAMPLE_ROUTES.java.signOut,
    postLogout: SAMPLE_ROUTES.java.postLogout,
    frontChannel: { path: SAMPLE_ROUTES.java.frontChannel, status: 404 },
  },
  {
    name: 'python',
    signIn: SAMPLE_ROUTES.python.signIn,
    authorize: { redirect_uri: SAMPLE_ROUTES.python.redirect },
    api: SAMPLE_ROUTES.python.api,
    apiShows: (user) => new RegExp(user.userPrincipalName),
    signOut: SAMPLE_ROUTES.python.signOut,
    postLogout: SAMPLE_ROUTES.python.postLogout,
    frontChannel: { path: SAMPLE_ROUTES.python.frontChannel, status: 302 },
  },
];

let env: TestEnvironment;
before(async () => {
  env = await startSamples(['aspnet', 'java', 'python']);
});
after(() => env.close());

for (const original of originals) {
  describe(`${original.name}`, () => {
    const sample = () => env.samples[original.name]!;
    const password = () => env.password;
    const user = (index: number) => env.emulator.users[index]!;
    const usernamesInCache = async () =>
      (await cacheSummary(sample().url)).accounts.map((account) => account.username);

    test('signs in through its own routes and calls Graph with a token from its cache', async () => {
      const browser = new Browser();
      // Where the sample sends the browser to sign in (python: through the link on its login page).
      let start = await browser.request(sample().url + original.signIn);
      if (start.status === 200) {
        const link = (await start.text()).match(/id="sign-in-link" href="([^"]+)"/)![1]!;
        start = await browser.request(new URL(link, sample().url).href);
      }
      assert.equal(start.status, 302);
      const authorizeUrl = start.headers.get('location')!;
      const authorize = new URL(authorizeUrl).searchParams;
      for (const [name, value] of Object.entries(original.authorize)) {
        const expected = name === 'redirect_uri' ? sample().url + value : value;
        assert.equal(authorize.get(name), expected, name);
      }
      if (!original.authorize.response_mode)
        assert.equal(authorize.get('response_mode') ?? 'query', 'query');
      assert.equal(authorize.get('code_challenge_method'), 'S256');
      // As its original, no client capability (no cp1): ordinary tokens, never evaluated (CAE).
      assert.equal(JSON.parse(authorize.get('claims') ?? '{}').access_token, undefined);

      const home = await browser.signIn(
        sample().url + original.signIn,
        user(0).userPrincipalName,
        password(),
      );
      assert.match(home.html, new RegExp(`id="signed-in-user">${user(0).userPrincipalName}<`));
      const api = await browser.get(sample().url + original.api);
      assert.equal(api.status, 200);
      assert.match(api.html, original.apiShows(user(0)));
      assert.deepEqual(await usernamesInCache(), [user(0).userPrincipalName]);

      // Local sign-out: the session ends, the cache forgets the user, the browser goes to the
      // end-session endpoint with the original's post-logout redirect URI only.
      const signOut = await browser.request(sample().url + original.signOut);
      const logout = new URL(signOut.headers.get('location')!);
      assert.equal(logout.pathname, `/${env.emulator.tenantId}/oauth2/v2.0/logout`);
      assert.deepEqual([...logout.searchParams.keys()], ['post_logout_redirect_uri']);
      assert.equal(
        logout.searchParams.get('post_logout_redirect_uri'),
        sample().url + original.postLogout,
      );
      assert.deepEqual(await usernamesInCache(), []);
      const after = await browser.navigate(logout.href, { method: 'GET' });
      assert.ok(after.url.startsWith(sample().url), `back at the sample (${after.url})`);
      assert.doesNotMatch(after.html, /id="signed-in-user"/);
    });

    test('refuses a sign-in response with a forged state, before redeeming the code', async () => {
      const browser = new Browser();
      browser.autoSubmitForms = false;
      const redemptions = () =>
        env.emulator.tokenRequests.filter((r) => r.grantType === 'authorization_code').length;
      const before = redemptions();
      let page: Awaited<ReturnType<Browser['get']>>;
      if (original.authorize.response_mode === 'form_post') {
        const formPost = await browser.signIn(
          sample().url + original.signIn,
          user(1).userPrincipalName,
          password(),
        );
        const form = parseForm(formPost.html, formPost.url);
        page = await browser.post(form.action, { ...form.fields, state: 'forged' });
      } else {
        // Query mode: stop at the redirect back to the sample, and forge its state.
        const link = (await browser.get(sample().url + original.signIn)).html.match(
          /id="sign-in-link" href="([^"]+)"/,
        )![1]!;
        const signInPage = await browser.get(new URL(link, sample().url).href);
        const form = parseForm(signInPage.html, signInPage.url, (html) =>
          html.includes('name="passwd"'),
        );
        const response = await browser.request(form.action, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            ...form.fields,
            login: user(1).userPrincipalName,
            passwd: password(),
          }).toString(),
        });
        const callback = new URL(response.headers.get('location')!);
        assert.equal(callback.pathname, original.authorize.redirect_uri);
        callback.searchParams.set('state', 'forged');
        page = await browser.get(callback.href);
      }
      assert.equal(page.status, 400);
      assert.match(page.html, /state is wrong/);
      assert.equal(redemptions(), before);
      assert.deepEqual(await usernamesInCache(), []);
    });

    test('keeps the user signed in, with their tokens, after a global sign-out', async () => {
      const browser = new Browser();
      await browser.signIn(sample().url + original.signIn, user(2).userPrincipalName, password());
      const ssoPage = await browser.get(`${env.emulator.identityUrl}/`);
      const form = parseForm(ssoPage.html, ssoPage.url, (html) =>
        html.includes('sign-out-everywhere'),
      );
      await browser.post(form.action, form.fields);

      // The identity platform loads the logout URL the original registered, if any — without the
      // session cookie, as today's browsers do: python's /logout has no session to clear, java's
      // /msal4jsample/sign-out is served by no route, aspnet registered none.
      assert.deepEqual(
        browser.frontChannelRequests.map(({ url, status, cookie }) => ({
          path: new URL(url).pathname,
          status,
          cookie,
        })),
        original.frontChannel ? [{ ...original.frontChannel, cookie: '' }] : [],
      );
      assert.deepEqual(await usernamesInCache(), [user(2).userPrincipalName]);
      const api = await browser.get(sample().url + original.api);
      assert.equal(
        api.status,
        200,
        'the app still calls the API for a user who signed out everywhere',
      );
      assert.match(api.html, original.apiShows(user(2)));
      await browser.get(sample().url + original.signOut);
    });
  });
}

// (java's sign-in entry shows the secure page to a signed-in user, as the original did: no switch.)
test("python: a new sign-in in the same browser does not carry the previous user's cache", async () => {
  for (const name of ['python'] as const) {
    const sample = env.samples[name]!;
    const original = originals.find((entry) => entry.name === name)!;
    const browser = new Browser();
    await browser.signIn(
      sample.url + original.signIn,
      env.emulator.users[0]!.userPrincipalName,
      env.password,
    );
    await browser.jar.setCookie('emulator.ESTSAUTH=; Max-Age=0', env.emulator.identityUrl);
    await browser.signIn(
      sample.url + original.signIn,
      env.emulator.users[1]!.userPrincipalName,
      env.password,
    );
    const accounts = (await cacheSummary(sample.url)).accounts.map((account) => account.username);
    assert.deepEqual(accounts, [env.emulator.users[1]!.userPrincipalName], name);
    await browser.get(sample.url + original.signOut);
  }
});
