/**
 * The samples' own app registrations in the emulator, used by a local process that is not the
 * sample. Entra's rule that a loopback redirect URI matches on any port is kept, so such a process
 * can start a sign-in as python at `http://localhost:<its own port>/getAToken` and get a code from
 * the user's SSO session. What stops it: python's secret is made on this machine (the one the
 * repository held is refused), and even with the real one, no code or refresh token buys a
 * permission python's registration does not list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { samples } from '../samples/index.ts';
import { Browser } from './helpers/browser.ts';
import { freePorts, startEnvironment, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const python = samples.python.registration;

/** What the token endpoint answers, as far as these tests read it. */
interface TokenAnswer {
  error?: string;
  error_codes?: number[];
  suberror?: string;
  access_token?: string;
  refresh_token?: string;
}

describe('the built-in apps, used by another local process', () => {
  let env: TestEnvironment;
  let browser: Browser;
  let redirectUri: string;

  before(async () => {
    env = await startEnvironment('python');
    const [otherPort] = await freePorts(1);
    redirectUri = `http://localhost:${otherPort}${python.redirectPath}`;
    // Adele signs in to python: her browser has an SSO session at the emulator from then on.
    browser = new Browser();
    const adele = env.emulator.users[0]?.userPrincipalName;
    const home = await browser.signIn(
      env.sample.url + SAMPLE_ROUTES.python.signIn,
      adele,
      env.password,
    );
    assert.match(home.html, /id="signed-in-user">AdeleV@/);
  });
  after(() => env.close());

  const endpoint = (path: string) =>
    `${env.emulator.identityUrl}/${env.emulator.tenantId}/oauth2/v2.0${path}`;

  /** In Adele's browser, a sign-in as python to the other process's redirect URI: no password asked. */
  async function answerToOtherProcess(scope: string): Promise<URLSearchParams> {
    const url = new URL(endpoint('/authorize'));
    url.search = new URLSearchParams({
      client_id: python.emulatorClientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope,
      state: 'other-process',
    }).toString();
    const response = await browser.request(url.href);
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, redirectUri);
    return location.searchParams;
  }

  async function tokenRequest(form: Record<string, string>) {
    const response = await fetch(endpoint('/token'), {
      method: 'POST',
      body: new URLSearchParams({ client_id: python.emulatorClientId, ...form }),
    });
    return { status: response.status, body: (await response.json()) as TokenAnswer };
  }

  const redeem = (code: string, clientSecret: string, scope?: string) =>
    tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_secret: clientSecret,
      ...(scope ? { scope } : {}),
    });

  test('the secret the repository held is refused (AADSTS7000215); the sample still signs in and calls Graph', async () => {
    const code = (await answerToOtherProcess('openid offline_access User.ReadBasic.All')).get(
      'code',
    );
    assert.ok(code, 'the loopback rule still answers another port: a code');
    const redeemed = await redeem(code, 'emulator-secret-python');
    assert.equal(redeemed.status, 401);
    assert.equal(redeemed.body.error, 'invalid_client');
    assert.deepEqual(redeemed.body.error_codes, [7000215]);

    assert.equal((await browser.get(env.sample.url + SAMPLE_ROUTES.python.api)).status, 200);
    const again = await new Browser().signIn(
      env.sample.url + SAMPLE_ROUTES.python.signIn,
      env.emulator.users[1]?.userPrincipalName,
      env.password,
    );
    assert.match(again.html, /id="signed-in-user">AlexW@/);
  });

  test("with python's real secret, its registration still bounds what is granted: User.ReadBasic.All, never Mail.Read (AADSTS65001)", async () => {
    const secret = env.sample.settings.sample.clientSecret;
    const refused = await answerToOtherProcess('openid offline_access Mail.Read');
    assert.equal(refused.get('code'), null);
    assert.equal(refused.get('error'), 'consent_required');
    assert.match(refused.get('error_description') ?? '', /^AADSTS65001: /);

    const code = (await answerToOtherProcess('openid offline_access User.ReadBasic.All')).get(
      'code',
    );
    const granted = await redeem(code ?? '', secret);
    assert.equal(granted.status, 200);
    assert.equal(decodeJwt(granted.body.access_token ?? '').scp, 'User.ReadBasic.All');
    const messages = await fetch(`${env.emulator.graphUrl}/v1.0/me/messages`, {
      headers: { Authorization: `Bearer ${granted.body.access_token}` },
    });
    assert.equal(messages.status, 403);

    // The refresh token, as python's cache holds one: turned into Mail.Read, it is refused.
    const escalated = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token ?? '',
      client_secret: secret,
      scope: 'openid offline_access Mail.Read',
    });
    assert.equal(escalated.status, 400);
    assert.equal(escalated.body.error, 'invalid_grant');
    assert.deepEqual(escalated.body.error_codes, [65001]);
    assert.equal(escalated.body.suberror, 'consent_required');
  });
});
