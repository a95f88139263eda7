/**
 * The lesson in a real browser: Chromium (Debian's, driven by playwright-core), today's defaults,
 * the default configuration (the identity platform on 127.0.0.1, another site than the samples on
 * localhost). A person signs in to the five samples, calls each API, and signs out everywhere on
 * the identity platform's page: the front-channel iframes arrive without any cookie, aspnetcore
 * forgets the user, and the four others keep them, with their tokens.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Frame, Request } from 'playwright-core';
import { sampleNames } from '../samples/index.ts';
import { cspViolations, launchChromium } from './helpers/chromium.ts';
import { cacheSummary, startSamples, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';
import { framesAnswered, pressContinue } from './journeys/journeys.ts';

let env: TestEnvironment;
before(async () => {
  env = await startSamples(sampleNames);
});
after(() => env.close());

const routes = SAMPLE_ROUTES;
const others = sampleNames.filter((name) => name !== 'aspnetcore');

test('sign in to five samples, sign out everywhere: iframes without cookies, aspnetcore alone forgets', async (t) => {
  const chromium = await launchChromium(t);
  if (!chromium) return;
  try {
    const context = await chromium.newContext();
    const violations = await cspViolations(context);
    const page = await context.newPage();
    const user = env.emulator.users[0]!.userPrincipalName;
    assert.match(
      env.emulator.identityUrl,
      /^http:\/\/127\.0\.0\.1:/,
      'the identity platform is another site',
    );

    // aspnetcore: the emulator's sign-in form, typed in; the answer comes back as a form_post.
    await page.goto(env.samples.aspnetcore!.url + routes.aspnetcore.signIn);
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="passwd"]', env.password);
    await page.click('button[value="sign-in"]');
    await page.waitForSelector('#signed-in-user');
    assert.equal(await page.textContent('#signed-in-user'), user);

    // The others ride the SSO session: java through its account picker, python through its link,
    // node straight on (a form_post back, as aspnetcore's).
    await page.goto(env.samples.aspnet!.url + routes.aspnet.signIn);
    await page.waitForSelector('#signed-in-user');
    await page.goto(env.samples.java!.url + routes.java.signIn);
    await page.click('#continue-as');
    await page.waitForSelector('#signed-in-user');
    await page.goto(env.samples.python!.url + routes.python.signIn);
    await page.click('#sign-in-link');
    await page.waitForSelector('#signed-in-user');
    await page.goto(env.samples.node!.url + routes.node.signIn);
    await page.waitForSelector('#signed-in-user');

    for (const name of sampleNames) {
      const response = await page.goto(env.samples[name]!.url + routes[name].api);
      assert.equal(response?.status(), 200, `${name} calls its API`);
      assert.equal((await cacheSummary(env.samples[name]!.url)).accounts.length, 1, name);
    }

    // Sign out everywhere, on the identity platform's page: it loads every logout URL in an
    // iframe. The first request of each iframe is the logout URL (python's then goes on: its
    // /logout redirects to the end-session endpoint, inside the iframe, as the original did).
    const firstRequestOf = new Map<Frame, Request>();
    page.on('request', (request) => {
      const frame = request.frame();
      if (frame.parentFrame() === page.mainFrame() && !firstRequestOf.has(frame)) {
        firstRequestOf.set(frame, request);
      }
    });
    await page.goto(`${env.emulator.identityUrl}/`);
    await page.click('#sign-out-everywhere');
    // The sign-out page shows each frame's answer and waits for the user to continue.
    await framesAnswered(page);
    await pressContinue(page);
    await page.waitForSelector('text=You signed out of your account');

    const logoutUrls = await Promise.all(
      [...firstRequestOf.values()].map(async (request) => ({
        path: new URL(request.url()).pathname,
        cookie: (await request.allHeaders()).cookie ?? '',
      })),
    );
    assert.deepEqual(
      logoutUrls.map(({ path }) => path).sort(),
      [routes.aspnetcore.frontChannel, routes.java.frontChannel, routes.python.frontChannel].sort(),
      'the three registered logout URLs were loaded',
    );
    for (const { path, cookie } of logoutUrls) assert.equal(cookie, '', `${path} got no cookie`);

    // aspnetcore forgot the user; the four others kept them, and their tokens.
    const forgot = await cacheSummary(env.samples.aspnetcore!.url);
    assert.deepEqual([forgot.accounts.length, forgot.sessions], [0, 0]);
    for (const name of others) {
      const kept = await cacheSummary(env.samples[name]!.url);
      assert.equal(kept.accounts.length, 1, `${name} keeps the user's tokens`);
      assert.ok(kept.refreshTokens >= 1, `${name} keeps a refresh token`);
    }
    await page.goto(env.samples.aspnetcore!.url + routes.aspnetcore.home);
    assert.equal(await page.$('#signed-in-user'), null, 'aspnetcore: signed out');
    for (const name of others) {
      await page.goto(env.samples[name]!.url + routes[name].home);
      assert.equal(await page.textContent('#signed-in-user'), user, `${name}: still signed in`);
    }
    // Every page, and every frame, worked under its Content-Security-Policy.
    assert.deepEqual(violations, []);
  } finally {
    await chromium.close();
  }
});
