/**
 * Every page a person sees, for every reader: in Debian's Chromium, through `npm start`, each page
 * of the landing page, the five samples and the emulator — signed out, signed in, after a sign-out,
 * on an error — is audited by axe-core (0 violations, in its frames too) at a phone's width and a
 * laptop's, and must fit its window from 360 px to 1,920 px. Without Chromium the suite is skipped
 * loudly, except under CI, where it fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleNames } from '../samples/index.ts';
import { launchChromium } from './helpers/chromium.ts';
import { audit, type Finding, report, sameTitles } from './helpers/every-reader.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';
import { framesAnswered, pressContinue } from './journeys/journeys.ts';
import { npmStart, type StartedProject } from './journeys/npm-start.ts';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

test('every page: axe-core finds nothing at 390 px and 1,280 px, and no page is wider than its window from 360 px to 1,920 px', {
  timeout: 300_000,
}, async (t) => {
  const chromium = await launchChromium(t);
  if (!chromium) return;
  let project: StartedProject | undefined;
  const findings: Finding[] = [];
  const titles: Array<{ name: string; url: string; title: string }> = [];
  try {
    project = await npmStart();
    const context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const check = async (name: string) => {
      titles.push({ name, url: page.url(), title: await page.title() });
      findings.push(...(await audit(page, name)));
    };
    const { landingUrl, emulatorUrl, sampleUrls, user, password } = project;

    await page.goto(landingUrl);
    await check('landing page, nobody signed in');
    await page.goto(emulatorUrl);
    await check('emulator: SSO session page, no session');

    for (const id of sampleNames) {
      await page.goto(sampleUrls[id] + SAMPLE_ROUTES[id].home);
      await check(`${id}: home, signed out`);
    }
    await page.goto(`${sampleUrls.python}${SAMPLE_ROUTES.python.signIn}`);
    await check('python: its login page');
    await page.goto(`${sampleUrls.aspnet}/cache`);
    await check('aspnet: /cache, nobody signed in');
    await page.goto(`${sampleUrls.aspnetcore}/no-such-page`);
    await check('aspnetcore: a page it does not have (404)');
    await page.goto(`${emulatorUrl}/no-such-page`);
    await check('emulator: a page it does not have (404)');

    // The emulator's sign-in form, then each sample signed in, its API page, its /cache page.
    await page.goto(sampleUrls.aspnetcore + SAMPLE_ROUTES.aspnetcore.signIn);
    await page.waitForSelector('input[name="passwd"]');
    await check('emulator: sign-in form');
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="passwd"]', 'not the password');
    await page.click('button[value="sign-in"]');
    await page.waitForSelector('input[name="passwd"]');
    await check('emulator: sign-in form, wrong password');
    await page.fill('input[name="passwd"]', password);
    await page.click('button[value="sign-in"]');
    await page.waitForSelector('#signed-in-user');
    for (const id of sampleNames) {
      const url = sampleUrls[id];
      if (id !== 'aspnetcore') {
        await page.goto(url + SAMPLE_ROUTES[id].signIn);
        if (id === 'python') await page.click('#sign-in-link');
        if (id === 'java') {
          await page.waitForSelector('#continue-as');
          await check('emulator: account picker');
          await page.click('#continue-as');
        }
        await page.waitForSelector('#signed-in-user');
      }
      await page.goto(url + SAMPLE_ROUTES[id].home);
      await check(`${id}: home, signed in`);
      await page.click('header a:nth-of-type(2)');
      await page.waitForSelector('#token-used');
      await check(`${id}: API page`);
      await page.goto(`${url}/cache`);
      await check(`${id}: /cache`);
    }
    await page.goto(`${sampleUrls.node}${SAMPLE_ROUTES.node.id}`);
    await check('node: /users/id');
    await page.goto(landingUrl);
    await page.waitForSelector('#sample-python[data-state="signed-in"]');
    await check('landing page, five samples signed in');
    // A second tab keeps the landing page open: what it announces as the verdicts change.
    const watcher = await context.newPage();
    await watcher.goto(landingUrl);
    await watcher.waitForSelector('#sample-python[data-state="signed-in"]');
    assert.equal(await watcher.textContent('#announcer'), '', 'nothing said on first load');

    // Sign out everywhere, by the landing page's link: the emulator's SSO page (with the way
    // back), its sign-out page and the samples' frames, the signed-out page, and back.
    await page.click('#sign-out-everywhere-link');
    await page.waitForSelector('#sign-out-everywhere');
    await check('emulator: SSO session page, signed in, with a way back');
    await page.click('#sign-out-everywhere');
    await framesAnswered(page);
    await check("emulator: sign-out page, with the samples' frames");
    await pressContinue(page);
    await page.waitForSelector('text=You signed out of your account');
    await check('emulator: signed out, with a way back');
    await page.click('#back');
    await page.waitForSelector('#sample-java[data-state="left-behind"]');
    await check('landing page, after a sign-out');
    // The verdicts, said once each, in one polite announcement: not every line of the timeline.
    await watcher.waitForSelector('#sample-python[data-state="left-behind"]');
    const said = (await watcher.textContent('#announcer')) ?? '';
    assert.equal(said.match(/aspnetcore forgot/g)?.length, 1, said);
    for (const id of ['aspnet', 'java', 'node', 'python']) {
      assert.equal(
        said.match(new RegExp(`${id}: tokens left behind after a sign-out`, 'g'))?.length,
        1,
        said,
      );
    }
    assert.doesNotMatch(said, /Front-channel|Code redeemed|\d\d:\d\d:\d\d/, said);
    await watcher.close();
    await page.goto(`${emulatorUrl}/${TENANT}/oauth2/v2.0/logout`);
    await check('emulator: sign-out page, nobody signed in');
    // python's local sign-out, after the global one: its session (and the cache in it) cleared.
    await page.goto(`${sampleUrls.python}${SAMPLE_ROUTES.python.signOut}`);
    await page.waitForSelector('#continue');
    await pressContinue(page);
    await page.waitForURL(`${sampleUrls.python}/**`);
    await check('python: after its local sign-out');
    await page.goto(sampleUrls.aspnetcore + SAMPLE_ROUTES.aspnetcore.signedOut);
    await check('aspnetcore: signed out');

    // Error pages: a sign-in response the sample did not ask for; a client the emulator does not know.
    await page.goto(
      `${sampleUrls.python}${SAMPLE_ROUTES.python.redirect}?code=forged&state=forged`,
    );
    assert.match(await page.title(), /^Sign-in failed — python/);
    await check('python: error page (a response it did not ask for)');
    await page.goto(
      `${emulatorUrl}/${TENANT}/oauth2/v2.0/authorize?client_id=00000000-0000-0000-0000-000000000000&response_type=code&redirect_uri=http://localhost/&scope=openid`,
    );
    await check('emulator: error page');
    await context.close();
  } finally {
    await chromium.close();
    await project?.stop();
  }
  findings.push(...sameTitles(titles));
  assert.equal(findings.length, 0, `\n${report(findings)}`);
});
