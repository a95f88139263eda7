/**
 * A service a sample depends on stops answering while a user is signed in: the sample says which
 * one, at which address, keeps the page consistent with the session (still signed in, no "Sign
 * in" link), and works again as soon as the service is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Browser } from './helpers/browser.ts';
import { freePorts, startEnvironment, type TestEnvironment } from './helpers/environment.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';

const profilePath = '/Home/Profile';
const signInPath = '/MicrosoftIdentity/Account/SignIn';

/** What the error page says, and what its header shows. */
function errorPage(html: string) {
  return {
    title: /<h1 id="error-title">([^<]*)<\/h1>/.exec(html)?.[1],
    message: /<p id="error-message">([^<]*)<\/p>/.exec(html)?.[1]?.replaceAll('&#39;', "'"),
    signedInAs: /id="signed-in-user">([^<]*)</.exec(html)?.[1],
    signInLink: html.includes(`href="${signInPath}"`),
    tryAgain: /<a id="try-again" href="([^"]*)">/.exec(html)?.[1],
  };
}

describe('the Graph-like API stops answering, then comes back', () => {
  let env: TestEnvironment;
  let graph: TcpProxy;
  before(async () => {
    // The sample reaches the Graph-like API through a proxy this test can close and reopen.
    const [proxyPort, graphPort] = (await freePorts(2)) as [number, number];
    graph = new TcpProxy(proxyPort, graphPort);
    await graph.start();
    env = await startEnvironment('aspnetcore', {
      env: { GRAPH_PORT: String(proxyPort) },
      emulator: { graphPort },
    });
  });
  after(async () => {
    await env.close();
    await graph.stop();
  });

  test('503 naming the API and its address, the user still signed in; then the page works again', async () => {
    const browser = new Browser();
    const user = env.emulator.users[0]!.userPrincipalName;
    await browser.signIn(env.sample.url + signInPath, user, env.password);
    assert.equal((await browser.get(env.sample.url + profilePath)).status, 200);

    await graph.stop();
    const down = await browser.get(env.sample.url + profilePath);
    assert.equal(down.status, 503);
    assert.equal(down.headers.get('cache-control'), 'no-store');
    assert.deepEqual(errorPage(down.html), {
      title: 'The API is not reachable',
      message: `This sample could not reach the API at http://localhost:${graph.port}: it refused the connection (is it running?). Nothing was lost; try again once it is back.`,
      signedInAs: user,
      signInLink: false,
      tryAgain: profilePath,
    });
    const asJson = await browser.request(env.sample.url + profilePath, {
      headers: { Accept: 'application/json' },
    });
    assert.equal(asJson.status, 503);
    assert.equal(((await asJson.json()) as { error: string }).error, 'The API is not reachable');

    await graph.start();
    const back = await browser.get(env.sample.url + profilePath);
    assert.equal(back.status, 200);
    assert.match(back.html, new RegExp(`id="signed-in-user">${user}<`));
  });
});

describe('the identity platform stops answering while a token must be refreshed', () => {
  let env: TestEnvironment;
  before(async () => {
    // Access tokens inside msal's 5-minute margin: every API call needs the token endpoint.
    env = await startEnvironment('python', { emulator: { accessTokenLifetimeSeconds: 60 } });
  });
  after(() => env.close());

  test('503 naming the identity platform and its address, the user still signed in', async () => {
    const browser = new Browser();
    const user = env.emulator.users[1]!.userPrincipalName;
    await browser.signIn(`${env.sample.url}/login`, user, env.password);
    assert.equal((await browser.get(`${env.sample.url}/graphcall`)).status, 200);

    await env.emulator.close();
    const down = await browser.get(`${env.sample.url}/graphcall`);
    assert.equal(down.status, 503);
    const page = errorPage(down.html);
    assert.equal(page.title, 'The identity platform is not reachable');
    assert.match(
      page.message ?? '',
      new RegExp(
        `could not reach the identity platform at ${env.emulator.identityUrl}: it could not be reached`,
      ),
    );
    assert.equal(page.signedInAs, user);
    assert.equal(page.tryAgain, '/graphcall');
    const home = await browser.get(`${env.sample.url}/`);
    assert.match(home.html, new RegExp(`id="signed-in-user">${user}<`), 'still signed in');
  });
});
