import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAspNetCoreSample } from '../samples/aspnetcore/app.ts';
import { Browser } from './helpers/browser.ts';
import { cacheSummary, startEnvironment, type TestEnvironment } from './helpers/environment.ts';

const signInPath = '/MicrosoftIdentity/Account/SignIn';
const signOutPath = '/MicrosoftIdentity/Account/SignOut';
const profilePath = '/Home/Profile';

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
    env = await startEnvironment('aspnetcore', createAspNetCoreSample);
    password = env.settings.emulator!.password;
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

  test('local sign-out empties the user partition, ends the session and goes to the end-session endpoint', async () => {
    const browser = await signedIn(1);
    await browser.get(env.sample.url + profilePath);
    const username = user(1);
    const before = await cacheSummary(env.sample.url);
    assert.ok(before.accounts.some((account) => account.username === username));

    const response = await browser.request(env.sample.url + signOutPath);
    assert.equal(response.status, 302);
    const logout = new URL(response.headers.get('location')!);
    assert.equal(logout.origin + logout.pathname, `${env.emulator.identityUrl}/${env.emulator.tenantId}/oauth2/v2.0/logout`);
    assert.equal(logout.searchParams.get('post_logout_redirect_uri'), `${env.sample.url}/signout-callback-oidc`);
    assert.ok(logout.searchParams.get('state'));
    assert.ok(logout.searchParams.get('logout_hint'));

    const after = await cacheSummary(env.sample.url);
    assert.ok(!after.accounts.some((account) => account.username === username));
    // The identity platform then signs the browser out and comes back to the SignedOut page.
    const signedOut = await browser.navigate(logout.href, { method: 'GET' });
    assert.equal(new URL(signedOut.url).pathname, '/MicrosoftIdentity/Account/SignedOut');
    assert.doesNotMatch(signedOut.html, /id="signed-in-user"/);
  });
});
