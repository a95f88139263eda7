/**
 * The identity platform on another site than the samples (EMULATOR_HOST=127.0.0.1 against
 * samples on localhost), as Entra is: its form_post back to a sample is a cross-site POST, which a
 * today's browser sends without the sample's SameSite=Lax session cookie.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Browser } from './helpers/browser.ts';
import { startSamples, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

let env: TestEnvironment;
before(async () => {
  env = await startSamples(['aspnetcore', 'aspnet'], { env: { EMULATOR_HOST: '127.0.0.1' } });
});
after(() => env.close());

test('signing in over a cross-site form_post works, with the sign-in cookie SameSite=None; Secure', async () => {
  assert.match(env.emulator.identityUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const browser = new Browser();
  const start = await browser.request(env.sample.url + SAMPLE_ROUTES.aspnetcore.signIn);
  assert.match(
    start.headers.get('set-cookie') ?? '',
    /aspnetcore\.signin\.[\w-]{16}=.*samesite=none; secure/i,
  );
  const home = await browser.signIn(
    env.sample.url + SAMPLE_ROUTES.aspnetcore.signIn,
    env.emulator.users[0]!.userPrincipalName,
    env.password,
  );
  assert.match(home.html, /id="signed-in-user">AdeleV@contoso\.onmicrosoft\.com</);
});

for (const name of ['aspnetcore', 'aspnet'] as const) {
  test(`${name}: signing in again ends the session the sign-in started from, though its cookie did not come back`, async () => {
    const sample = env.samples[name]!.url;
    const browser = new Browser();
    const user = env.emulator.users[1]!.userPrincipalName;
    await browser.signIn(sample + SAMPLE_ROUTES[name].signIn, user, env.password);
    const first = await browser.jar.getCookieString(sample);

    // Sign in again (SSO): the response comes back cross-site, without the session cookie.
    await browser.signIn(sample + SAMPLE_ROUTES[name].signIn);
    const second = await browser.jar.getCookieString(sample);
    assert.notEqual(first, second);

    const replay = await fetch(`${sample}/`, { headers: { cookie: first }, redirect: 'follow' });
    assert.doesNotMatch(await replay.text(), /id="signed-in-user"/, 'the first session is over');
    assert.match((await browser.get(`${sample}/`)).html, /id="signed-in-user"/);
  });
}
