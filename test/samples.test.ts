/**
 * One pass through each of the five samples, end to end, over real HTTP against the emulator:
 * a user signs in with the password, the sample calls its API with a token from its cache, and
 * the user signs out locally; the sample forgets them and their tokens. The fast tier of
 * `npm test` runs this file (see test/tiers.ts); every other test of the samples runs in
 * `npm run test:all`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sampleNames, samples } from '../samples/index.ts';
import { Browser } from './helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

let env: TestEnvironment;
before(async () => {
  env = await startSamples(sampleNames);
});
after(() => env.close());

test("each sample registers the original's redirect, post-logout and front-channel logout paths", () => {
  for (const name of sampleNames) {
    const { redirectPath, postLogoutRedirectPath, frontChannelLogoutPath } =
      samples[name].registration;
    const { redirect, postLogout, frontChannel } = SAMPLE_ROUTES[name];
    assert.deepEqual(
      { redirectPath, postLogoutRedirectPath, frontChannelLogoutPath },
      {
        redirectPath: redirect,
        postLogoutRedirectPath: postLogout,
        frontChannelLogoutPath: frontChannel,
      },
      name,
    );
  }
});

for (const [index, name] of sampleNames.entries()) {
  test(`${name}: signs in, calls its API with a token from its cache, signs out locally`, async () => {
    const sample = env.samples[name]!;
    const routes = SAMPLE_ROUTES[name];
    const user = env.emulator.users[index % env.emulator.users.length]!.userPrincipalName;
    const browser = new Browser();

    const home = await browser.signIn(sample.url + routes.signIn, user, env.password);
    assert.equal(home.status, 200);
    assert.match(home.html, new RegExp(`id="signed-in-user">${user}<`));
    assert.deepEqual(
      (await cacheSummary(sample.url)).accounts.map((account) => account.username),
      [user],
    );

    const graphBefore = env.emulator.graphRequests.length;
    const tokenRequestsBefore = env.emulator.tokenRequests.length;
    const api = await browser.get(sample.url + routes.api);
    assert.equal(api.status, 200);
    assert.equal(env.emulator.tokenRequests.length, tokenRequestsBefore, 'no token request');
    const graph = env.emulator.graphRequests.slice(graphBefore);
    assert.ok(graph.length > 0, 'the API page called the Graph-like API');
    assert.ok(
      graph.every((request) => request.status === 200),
      JSON.stringify(graph),
    );

    // Local sign-out, followed through the identity platform's end-session page and back, when
    // the post-logout URI is registered; node's is not, and the browser stays there, as in Entra.
    const end = await browser.get(sample.url + routes.signOut);
    assert.equal(end.status, 200);
    if (samples[name].registration.postLogoutRedirectRegistered) {
      assert.ok(end.url.startsWith(sample.url), `back at the sample (${end.url})`);
    } else {
      assert.ok(end.url.startsWith(env.emulator.identityUrl), `stays at the emulator (${end.url})`);
    }
    assert.doesNotMatch(end.html, /id="signed-in-user"/);
    const summary = await cacheSummary(sample.url);
    assert.deepEqual(summary.accounts, [], 'the cache forgot the user');
    const again = await browser.request(sample.url + routes.api);
    await again.body?.cancel();
    assert.equal(again.status, 302, 'the API page asks for a sign-in again');
  });
}

test("node keeps a copy of the access token in the session, beside msal's cache: counted as a token, with its times", async () => {
  const sample = env.samples.node!;
  const browser = new Browser();
  const user = env.emulator.users[0]!.userPrincipalName;
  await browser.signIn(sample.url + SAMPLE_ROUTES.node.signIn, user, env.password);
  const counts = async () => {
    const summary = await cacheSummary(sample.url);
    const account = summary.accounts.find((each) => each.username === user);
    const session = summary.signedIn.find((each) => each.user === user);
    return [account?.accessTokens, account?.accessTokenTimes.length, session?.tokens?.accessTokens];
  };
  assert.deepEqual(await counts(), [1, 1, 1], "msal's access token only");
  const profile = await browser.get(sample.url + SAMPLE_ROUTES.node.acquireToken);
  assert.equal(new URL(profile.url).pathname, SAMPLE_ROUTES.node.api);
  assert.match(profile.html, /access token kept in the session/);
  assert.deepEqual(await counts(), [2, 2, 2], 'and its copy, in the session');
  const timeline = await (await fetch(`${sample.url}/cache`)).text();
  assert.match(
    timeline,
    /Took an access token for [^ ]+ from the token cache, for the app to keep a copy of: the cached access token/,
  );
  assert.match(
    timeline,
    /Called the API \(\/v1.0\/me\) for [^ ]+ with the access token kept in the session/,
  );
  await browser.get(sample.url + SAMPLE_ROUTES.node.signOut);
  assert.deepEqual(await counts(), [undefined, undefined, undefined], 'both gone with the session');
});
