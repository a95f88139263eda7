/**
 * The sign-in (`shared/core/msal/sign-in.ts`), in every sample, through real HTTP against the emulator:
 * two sign-ins started at once both complete, in a browser that honours cookie paths. (A sign-in
 * refused after its code was redeemed keeps none of its tokens: `sign-out-wins.test.ts`.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar } from 'tough-cookie';
import type { SampleName } from '../samples/index.ts';
import { Browser } from './helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

/** Where each sample starts a sign-in, and the page a signed-in user lands on. */
const starts: Record<SampleName, string> = {
  aspnetcore: SAMPLE_ROUTES.aspnetcore.signIn,
  aspnet: SAMPLE_ROUTES.aspnet.signIn,
  java: SAMPLE_ROUTES.java.signIn,
  node: SAMPLE_ROUTES.node.signIn,
  // python's sign-in page only links to the sign-in: the link's target starts it.
  python: SAMPLE_ROUTES.python.loginStart,
};
const names = Object.keys(starts) as SampleName[];

let env: TestEnvironment;
before(async () => {
  env = await startSamples(names);
});
after(() => env.close());

const url = (name: SampleName, path: string) => env.samples[name]!.url + path;
const signedInAs = async (browser: Browser, name: SampleName) =>
  /id="signed-in-user">([^<]+)</.exec((await browser.get(url(name, '/'))).html)?.[1];

describe('two sign-ins started at once in one browser', () => {
  for (const [index, name] of names.entries()) {
    test(`${name}: both complete (two tabs, or a link from another site to the sign-in route while one is in progress)`, async () => {
      const user = env.emulator.users[index % env.emulator.users.length]!.userPrincipalName;
      const browser = new Browser();
      // Two tabs open the sign-in route, one after the other, before either comes back. (A link
      // on another site to the sign-in route is the same request.) Each gets the identity
      // platform's authorize URL, and a cookie for its transaction.
      const first = await browser.request(url(name, starts[name]));
      const second = await browser.request(url(name, starts[name]));
      assert.equal(first.status, 302);
      assert.equal(second.status, 302);
      // The second tab completes first (the password), then the first (single sign-on).
      const secondPage = await browser.signIn(second.headers.get('location')!, user, env.password);
      assert.equal(secondPage.status, 200, `the second sign-in: ${secondPage.html.slice(0, 300)}`);
      const firstPage = await browser.signIn(first.headers.get('location')!);
      assert.equal(firstPage.status, 200, `the first sign-in: ${firstPage.html.slice(0, 300)}`);
      assert.equal(await signedInAs(browser, name), user);
      await browser.get(url(name, SAMPLE_ROUTES[name].signOut));
      if (name === 'aspnetcore') {
        // A form_post comes back without the session cookie: the first tab's sign-in could not
        // end the session the second one started. Both are of the same identity platform
        // session, and the sign-out ends both.
        const summary = await cacheSummary(env.samples[name]!.url);
        assert.deepEqual([summary.sessions, summary.accounts.length], [0, 0]);
      }
    });
  }
});

describe('many sign-ins started in one browser (a site sending the user to a sign-in route again and again)', () => {
  for (const name of ['aspnet', 'aspnetcore'] as const) {
    test(`${name}: at most five are kept, the requests stay small, and sign-out still works`, async () => {
      const user = env.emulator.users[0]!.userPrincipalName;
      const browser = new Browser();
      await browser.signIn(url(name, starts[name]), user, env.password);
      // The longest return path a transaction keeps (aspnetcore takes one), to the home page.
      const long =
        name === 'aspnetcore'
          ? `?redirectUri=${encodeURIComponent(`/?pad=${'x'.repeat(500)}`)}`
          : '';
      let last: Response | undefined;
      for (let start = 0; start < 40; start++) {
        last = await browser.request(url(name, starts[name] + long));
        assert.equal(last.status, 302);
      }
      // Only the five most recent sign-ins have a cookie (aspnet's reach every one of its pages).
      const cookies = await browser.jar.getCookies(url(name, SAMPLE_ROUTES[name].redirect));
      const atRoot = await browser.jar.getCookies(url(name, '/'));
      const transactions = [...cookies, ...atRoot].filter((cookie) =>
        /^\w+\.signin\.[\w-]{16}$/.test(cookie.key),
      );
      assert.ok(new Set(transactions.map((c) => c.key)).size <= 5, `${transactions.length} kept`);
      // The most recent completes; the sample still answers, and signs the user out.
      const page = await browser.signIn(last!.headers.get('location')!);
      assert.equal(page.status, 200, page.url);
      assert.equal(await signedInAs(browser, name), user);
      const signOut = await browser.request(url(name, SAMPLE_ROUTES[name].signOut));
      assert.equal(signOut.status, 302);
      assert.equal(await signedInAs(browser, name), undefined);
    });
  }
});

describe("sign-ins started from another site's page (an image: a cross-site request, not a navigation)", () => {
  for (const name of ['aspnet', 'aspnetcore'] as const) {
    test(`${name}: a browser that accepts third-party cookies keeps five at most too`, async () => {
      // Such a request carries, and keeps, SameSite=None cookies only: those of a form_post
      // sign-in, whose response is a cross-site POST. A browser that blocks third-party cookies
      // (Chromium here, by default) keeps none at all.
      const jar = new CookieJar();
      const start = url(name, starts[name]);
      for (let request = 0; request < 40; request++) {
        const cookie = await jar.getCookieString(start, { sameSiteContext: 'none' });
        const response = await fetch(start, { headers: { cookie }, redirect: 'manual' });
        await response.body?.cancel();
        for (const setCookie of response.headers.getSetCookie()) {
          await jar.setCookie(setCookie, start, { sameSiteContext: 'none', ignoreError: true });
        }
      }
      const atRedirect = await jar.getCookies(url(name, SAMPLE_ROUTES[name].redirect));
      const transactions = atRedirect.filter((cookie) => /\.signin\.[\w-]{16}$/.test(cookie.key));
      assert.ok(transactions.length <= 5, `${transactions.length} kept`);
      assert.ok(transactions.length > 0, 'the sign-ins were started, with their cookies');
    });
  }
});
