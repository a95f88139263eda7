/**
 * A person's journeys through `npm start`, in real Chromium: the landing page, each sample, the
 * emulator's pages, clicked and typed into. Each journey checks what the pages say as it goes;
 * `shoot` takes the docs' screenshots on the way (`npm run screenshots`), so the images are of
 * the very journeys the tests run (`test/browser-journeys.test.ts`).
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { type SampleName, sampleNames, samples } from '../../samples/index.ts';
import { SAMPLE_ROUTES } from '../helpers/routes.ts';
import type { StartedProject } from './npm-start.ts';

export interface Journey {
  project: StartedProject;
  context: BrowserContext;
  /** Saves a screenshot of the page for the docs, under this name (`npm run screenshots`). */
  shoot(page: Page, name: string, options?: { fullPage?: boolean }): Promise<void>;
}

/** What the timeline on the landing page shows: source, kind, outcome, text. */
export async function timeline(page: Page) {
  return page.$$eval('#timeline li', (items) =>
    items.map((item) => ({
      source: item.getAttribute('data-source') ?? '',
      kind: item.getAttribute('data-kind') ?? '',
      outcome: item.className,
      text: item.querySelector('.text')?.textContent ?? '',
    })),
  );
}

async function waitForTimeline(page: Page, source: string, kind: string, text?: RegExp) {
  const item = page.locator(`#timeline li[data-source="${source}"][data-kind="${kind}"]`);
  await (text ? item.filter({ hasText: text }) : item).first().waitFor({ timeout: 10_000 });
}

/**
 * Until every front-channel frame on the emulator's sign-out page has loaded (or timed out). A
 * selector, not a function evaluated in the page: its Content-Security-Policy allows no eval.
 */
export async function framesAnswered(page: Page): Promise<void> {
  await page.waitForSelector('[data-state="waiting"]', { state: 'detached', timeout: 10_000 });
}

/**
 * Continue, on the emulator's sign-out page, with the keyboard: in headless Chromium here, a mouse
 * click on the link, once the page has scrolled past the cross-site frames, does not reach it.
 */
export async function pressContinue(page: Page): Promise<void> {
  await page.focus('#continue');
  await page.keyboard.press('Enter');
}

/** Waits until the sample's card is in `state`, and returns what it says. */
async function card(page: Page, id: SampleName, state: string): Promise<string> {
  const section = `#sample-${id}`;
  await page.waitForSelector(`${section}[data-state="${state}"]`, { timeout: 10_000 });
  return (await page.textContent(section)) ?? '';
}

async function backToLanding(page: Page): Promise<void> {
  await page.click('#back-to-landing');
  await page.waitForSelector('#timeline');
}

/** From the landing page, into a sample and signed in by clicking (and typing, if asked). */
async function signIn(journey: Journey, page: Page, id: SampleName, withPassword: boolean) {
  const { user, password } = journey.project;
  await page.click(`#sample-${id} h2 a`);
  if (id === 'python') {
    await page.click('#sign-in-link'); // its /login page has a link, as the original's
  } else {
    await page.click('header >> text=Sign in');
  }
  if (withPassword) {
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="passwd"]', password);
    await page.click('button[value="sign-in"]');
  } else if (id === 'java') {
    await page.click('#continue-as'); // its original asked for the account picker
  }
  await page.waitForSelector('#signed-in-user');
  assert.equal(await page.textContent('#signed-in-user'), user, `${id}: signed in`);
}

/**
 * On a sample's page: call its API (node's link goes through /auth/acquireToken), and check the
 * page shows the token's claims, never the token.
 */
async function callApi(page: Page, id: SampleName, source: string) {
  await page.click('header a:nth-of-type(2)'); // the API link, after the sample's name
  await page.waitForSelector('#token-used');
  assert.equal(new URL(page.url()).pathname, SAMPLE_ROUTES[id].api, `${id}: its API page`);
  assert.match((await page.textContent('#token-source')) ?? '', new RegExp(source), id);
  assert.equal(
    await page.textContent('[data-claim="aud"]'),
    '00000003-0000-0000-c000-000000000000',
  );
  assert.doesNotMatch(await page.content(), /eyJ[\w-]+\.eyJ/, `${id}: no raw token on the page`);
}

/**
 * Signs in to the five samples (the emulator's form typed in once, then single sign-on), calls
 * each API, and signs out everywhere on the emulator's page: aspnetcore forgets the user, the
 * four others keep tokens the identity platform did not revoke, and java can still call the API.
 */
export async function signOutEverywhere(journey: Journey): Promise<void> {
  const { project, shoot } = journey;
  const page = await journey.context.newPage();
  await page.goto(project.landingUrl);
  for (const id of sampleNames) {
    const said = await card(page, id, 'empty');
    assert.match(said, /No tokens: nobody is signed in/);
    // What its sign-out.ts says it does on global sign-out.
    assert.ok(said.includes(`On global sign-out: ${samples[id].onGlobalSignOut}`), id);
  }

  await signIn(journey, page, 'aspnetcore', true);
  assert.equal(await page.textContent('[data-claim="preferred_username"]'), project.user);
  // The sid by its label, as on the timeline; never the value, which signs the user out.
  const sidShown = (await page.textContent('[data-claim="sid"]')) ?? '';
  assert.match(sidShown, /^session [\w-]{6} /);
  assert.doesNotMatch(sidShown, /[0-9a-f]{8}-[0-9a-f]{4}-/);
  await callApi(page, 'aspnetcore', 'cached access token');
  await backToLanding(page);
  await waitForTimeline(page, 'identity platform', 'signed-in', /signed in with their password/);
  await waitForTimeline(page, 'aspnetcore', 'signed-in', /Code redeemed/);
  await waitForTimeline(page, 'aspnetcore', 'api-call', /the cached access token/);
  assert.match(await card(page, 'aspnetcore', 'signed-in'), /cached access token, for/);

  const others = sampleNames.filter((id) => id !== 'aspnetcore');
  for (const id of others) {
    await signIn(journey, page, id, false);
    // node calls the API with the copy of the access token it keeps in its session.
    await callApi(page, id, id === 'node' ? 'kept in the session' : 'cached access token');
    if (id === 'java') await shoot(page, 'api-page');
    await backToLanding(page);
    await waitForTimeline(page, 'identity platform', 'sso');
    await card(page, id, 'signed-in');
  }

  // Sign out everywhere, from the emulator's page (as from another app, or the account menu).
  await page.click('#sign-out-everywhere-link');
  await page.click('#sign-out-everywhere');
  await framesAnswered(page);
  const rows = await page.$$eval('#signed-in-apps tr[data-app]', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
  );
  assert.equal(rows.length, 5, 'the five apps signed in through the session');
  const row = (name: string) => rows.find((cells) => cells[0]?.startsWith(`${name} `)) ?? [];
  for (const name of ['aspnet', 'node']) {
    assert.match(row(name)[1] ?? '', /none registered/, name);
    assert.match(row(name)[2] ?? '', /not told/, name);
  }
  for (const name of ['aspnetcore', 'java', 'python']) assert.match(row(name)[2] ?? '', /loaded/);
  // What each frame answered, as the page shows it.
  const frameText = async (path: string) => {
    const frame = page.frames().find((each) => new URL(each.url()).pathname.startsWith(path));
    return frame ? ((await frame.textContent('body')) ?? '') : `no frame at ${path}`;
  };
  assert.match(await frameText(SAMPLE_ROUTES.java.frontChannel), /Not Found/);
  assert.match(await frameText(SAMPLE_ROUTES.aspnetcore.frontChannel), /front-channel sign-out/i);
  await shoot(page, 'emulator-logout');
  await pressContinue(page);
  await page.waitForSelector('text=You signed out of your account');
  // The way back the landing page's link asked for.
  await page.click('#back');
  await page.waitForSelector('#timeline');
  assert.equal(page.url(), `${project.landingUrl}/`);
  await waitForTimeline(page, 'identity platform', 'signed-out');
  await waitForTimeline(page, 'identity platform', 'not-told', /aspnet \(/);
  await waitForTimeline(page, 'identity platform', 'not-told', /node \(/);
  await waitForTimeline(page, 'aspnetcore', 'front-channel', /No session of that sid is left here/);
  await waitForTimeline(page, 'aspnetcore', 'tokens-removed');
  await waitForTimeline(page, 'java', 'front-channel', /answered 404/);
  await waitForTimeline(page, 'python', 'front-channel', /no session cookie came with it/);
  assert.match(await card(page, 'aspnetcore', 'forgot'), /Forgot .* at sign-out/);
  for (const id of others) {
    assert.match(await card(page, id, 'left-behind'), /Tokens left behind after a sign-out/, id);
  }
  const events = await timeline(page);
  assert.ok(
    events.some((event) => event.source === 'java' && event.outcome === 'left-behind'),
    'java: left behind, in red',
  );
  assert.ok(
    events.some((event) => event.source === 'aspnetcore' && event.outcome === 'removed'),
    'aspnetcore: removed, in green',
  );

  // What java can still do with the tokens it kept: call the API for the user who signed out.
  await page.click('#sample-java h2 a');
  assert.equal(await page.textContent('#signed-in-user'), project.user, 'java: still signed in');
  await callApi(page, 'java', 'cached access token');
  await page.click('header >> text=Token cache');
  await page.waitForSelector('#cached-accounts');
  await shoot(page, 'cache-page');
  await backToLanding(page);
  await waitForTimeline(page, 'java', 'api-call', /after session \S+ signed out/);
  await shoot(page, 'landing-after-sign-out');
  // The same on a phone: the cards one under the other, the timeline stacked.
  const window = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  // What a phone shows first (the whole page is many screens long).
  await page.mouse.wheel(0, -100_000);
  await shoot(page, 'landing-on-a-phone', { fullPage: false });
  if (window) await page.setViewportSize(window);
  // aspnetcore: signed out, and nothing left to call the API with.
  await page.click('#sample-aspnetcore h2 a');
  assert.equal(await page.$('#signed-in-user'), null, 'aspnetcore: signed out');
  await page.close();
}

/**
 * A local sign-out in python, with aspnetcore signed in through the same session: python clears
 * its session (and the cache in it); the identity platform then tells aspnetcore, which forgets
 * the user too.
 */
export async function localSignOutInPython(journey: Journey): Promise<void> {
  const { project, shoot } = journey;
  const page = await journey.context.newPage();
  await page.goto(project.landingUrl);
  await signIn(journey, page, 'aspnetcore', true);
  await backToLanding(page);
  await signIn(journey, page, 'python', false);
  await callApi(page, 'python', 'cached access token');
  await page.click('header >> text=Sign out');
  // The identity platform's sign-out page: python's own frame, and aspnetcore's.
  await page.waitForSelector('#signed-in-apps');
  await framesAnswered(page);
  const apps = await page.$$eval('#signed-in-apps tr[data-app]', (trs) =>
    trs.map((tr) => tr.getAttribute('data-app') ?? ''),
  );
  assert.deepEqual(apps.map((name) => name.split(' ')[0]).sort(), ['aspnetcore', 'python']);
  await pressContinue(page);
  await page.waitForSelector('#sign-in-link'); // python's login page again

  await page.goto(project.landingUrl);
  await waitForTimeline(
    page,
    'python',
    'local-sign-out',
    /token cache kept in the session went with it/,
  );
  await waitForTimeline(page, 'aspnetcore', 'front-channel', /No session of that sid is left here/);
  assert.match(await card(page, 'python', 'forgot'), /Forgot/);
  assert.match(await card(page, 'aspnetcore', 'forgot'), /Forgot/);
  await shoot(page, 'landing-after-local-sign-out');
  await page.close();
}

/**
 * Each sample on its own: sign in by clicking, sign out by clicking, and continue from the identity
 * platform's sign-out page: back to the sample at its post-logout redirect URI, if the app
 * registered it; node's is not registered, so the browser stays on the identity platform's
 * "signed out" page, as with Entra.
 */
export async function eachSampleSignsInAndOut(journey: Journey): Promise<void> {
  const { project } = journey;
  const page = await journey.context.newPage();
  for (const id of sampleNames) {
    await page.goto(project.landingUrl);
    await signIn(journey, page, id, true);
    await page.click('header >> text=Sign out');
    await page.waitForSelector('#signed-in-apps');
    const sample = new URL(project.sampleUrls[id]).origin;
    if (samples[id].registration.postLogoutRedirectRegistered) {
      await Promise.all([
        page.waitForURL((url) => url.origin === sample, { waitUntil: 'load' }),
        pressContinue(page),
      ]);
    } else {
      await pressContinue(page);
      await page.waitForSelector('text=You signed out of your account', { timeout: 10_000 });
      assert.equal(new URL(page.url()).origin, new URL(project.emulatorUrl).origin, id);
      await page.goto(sample);
    }
    await page.waitForSelector('header');
    assert.equal(await page.$('#signed-in-user'), null, `${id}: signed out`);
    await page.goto(project.landingUrl);
    await waitForTimeline(page, id, 'local-sign-out');
    assert.match(await card(page, id, 'forgot'), /Forgot/, `${id}: forgot the user`);
  }
  await page.close();
}

/**
 * With EMULATOR_LOGOUT_AUTO_CONTINUE=on, the sign-out page goes on by itself once its frames have
 * loaded, as Entra's does: a sign-out in aspnetcore ends on its signed-out page, no click needed.
 */
export async function signOutContinuesByItself(journey: Journey): Promise<void> {
  const page = await journey.context.newPage();
  await page.goto(journey.project.landingUrl);
  await signIn(journey, page, 'aspnetcore', true);
  await page.click('header >> text=Sign out');
  await page.waitForURL(/\/AzureAD\/Account\/SignedOut$/, { timeout: 10_000 });
  assert.equal(await page.$('#signed-in-user'), null, 'aspnetcore: signed out');
  await page.close();
}

/**
 * Continuous Access Evaluation, once: aspnetcore (which declares `cp1`, so its access token is a
 * CAE token of 24 hours) and java (an ordinary client, an access token of an hour) call the API;
 * an administrator revokes the user's sessions on the emulator's page; the Graph-like API then
 * refuses aspnetcore's cached token with a claims challenge, msal cannot meet it with the revoked
 * refresh token, and aspnetcore sends the user to sign in with the claims, which brings its page
 * back. java's cached access token is not evaluated: java still calls the API with it.
 */
export async function caeChallengeAfterRevocation(journey: Journey): Promise<void> {
  const { project, shoot } = journey;
  const page = await journey.context.newPage();
  // The token's lifetime, from the claims the API page shows.
  const claim = async (name: string) =>
    Number.parseInt((await page.textContent(`[data-claim="${name}"]`)) ?? '', 10);
  const lifetime = async () => (await claim('exp')) - (await claim('iat'));
  await page.goto(project.landingUrl);
  await signIn(journey, page, 'aspnetcore', true);
  await callApi(page, 'aspnetcore', 'cached access token');
  assert.equal(await lifetime(), 24 * 60 * 60, 'aspnetcore (cp1): a CAE token of 24 hours');
  await backToLanding(page);
  await signIn(journey, page, 'java', false);
  await callApi(page, 'java', 'cached access token');
  assert.equal(await lifetime(), 60 * 60, 'java (no cp1): an ordinary token of an hour');
  await backToLanding(page);

  // The administrator's side: the emulator's page, "Revoke sessions" on the user's row.
  await page.click('#sign-out-everywhere-link');
  await page.click(`tr:has-text("${project.user}") button[id^="revoke-"]`);
  await page.waitForSelector('#revoked');

  // aspnetcore's API page: the API refuses the CAE token; the refresh token is revoked too, so
  // aspnetcore sends the user to sign in, with the challenge's claims and cp1.
  const aspnetcore = project.sampleUrls.aspnetcore;
  await page.goto(aspnetcore + SAMPLE_ROUTES.aspnetcore.api);
  await page.waitForSelector('input[name="passwd"]');
  const authorize = new URL(page.url());
  assert.equal(authorize.origin, new URL(project.emulatorUrl).origin, 'the sign-in form');
  const claims = JSON.parse(authorize.searchParams.get('claims') ?? '{}');
  assert.ok(claims.access_token?.nbf?.essential, "the challenge's claims (nbf)");
  assert.deepEqual(claims.access_token?.xms_cc?.values, ['cp1'], 'and cp1');
  await page.fill('input[name="login"]', project.user);
  await page.fill('input[name="passwd"]', project.password);
  await page.click('button[value="sign-in"]');
  await page.waitForSelector('#token-used');
  assert.equal(new URL(page.url()).pathname, SAMPLE_ROUTES.aspnetcore.api, 'its API page back');

  // java: still signed in, and its cached access token still works.
  await page.goto(project.sampleUrls.java + SAMPLE_ROUTES.java.api);
  await page.waitForSelector('#token-used');
  assert.match((await page.textContent('#token-source')) ?? '', /cached access token/, 'java');

  await page.goto(project.landingUrl);
  await waitForTimeline(page, 'identity platform', 'revoked');
  await waitForTimeline(page, 'aspnetcore', 'claims-challenge', /sent to sign in with the claims/);
  await waitForTimeline(page, 'java', 'api-call', /the cached access token/);
  await shoot(page, 'landing-after-cae-challenge');
  await page.close();
}

/**
 * The README's walkthrough of the refresh token a sample keeps: with access tokens that msal
 * renews after a second (EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS=301), java signs in, the user signs
 * out everywhere, and java's next API call redeems the refresh token it kept: the identity
 * platform answers it, as Entra does (sign-out revokes no refresh token), and the timeline says so.
 */
export async function refreshTokenAfterSignOut(journey: Journey): Promise<void> {
  const { project, shoot } = journey;
  const page = await journey.context.newPage();
  await page.goto(project.landingUrl);
  await signIn(journey, page, 'java', true);
  await backToLanding(page);
  await page.click('#sign-out-everywhere-link');
  await page.click('#sign-out-everywhere');
  await framesAnswered(page);
  await pressContinue(page);
  await page.waitForSelector('text=You signed out of your account');
  // msal renews an access token 5 minutes before it expires: this one, after a second.
  await page.waitForTimeout(1_500);
  await page.goto(project.landingUrl);
  await page.click('#sample-java h2 a');
  await callApi(page, 'java', 'refresh token redeemed');
  await backToLanding(page);
  await waitForTimeline(page, 'java', 'api-call', /the cached refresh token was redeemed/);
  const redeemed = (await timeline(page)).find(
    (event) => event.source === 'java' && /the cached refresh token was redeemed/.test(event.text),
  );
  assert.match(redeemed?.text ?? '', /after session \S+ signed out/, 'after the sign-out, said so');
  await shoot(page, 'landing-refresh-token-redeemed');
  await page.close();
}
