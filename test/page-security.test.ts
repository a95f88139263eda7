/**
 * What every answer of the samples, the landing page and the emulator says about itself, over
 * real HTTP, and in real Chromium where a browser's behaviour is the point: nothing is stored
 * (Back after a sign-out asks the server again), only the servers' own host names are answered
 * (DNS rebinding), each page's Content-Security-Policy says what may run, load, post and frame,
 * the emulator's pages are framed by nobody, and no page prints the `sid` of a session.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Koa from 'koa';
import { everyAnswer } from '../emulator/http.ts';
import { sessionLabel, startEmulator } from '../emulator/index.ts';
import type { SampleName } from '../samples/index.ts';
import { pageHeaders } from '../shared/web/page-headers.ts';
import { emulatorOptions } from './emulator/helper.ts';
import { Browser } from './helpers/browser.ts';
import { cspViolations, launchChromium } from './helpers/chromium.ts';
import {
  freePorts,
  ssoSid,
  startEnvironment,
  startSamples,
  type TestEnvironment,
} from './helpers/environment.ts';
import { type Landing, startLanding } from './helpers/landing.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const routes = SAMPLE_ROUTES;
const names = Object.keys(routes) as SampleName[];

let env: TestEnvironment;
let landing: Landing;
before(async () => {
  env = await startSamples(names);
  landing = await startLanding(env);
});
after(async () => {
  await landing.close();
  await env.close();
});

const user = () => env.emulator.users[0]!.userPrincipalName;
const sampleUrl = (name: SampleName) => env.samples[name]!.url;
const endpoint = (path: string) => `${env.emulator.identityUrl}/${env.emulator.tenantId}${path}`;

/** A browser signed in to the five samples (a password once, then SSO), each API called. */
async function signedInEverywhere(): Promise<Browser> {
  const browser = new Browser();
  for (const [index, name] of names.entries()) {
    const credentials = index === 0 ? [user(), env.password] : [];
    await browser.signIn(sampleUrl(name) + routes[name].signIn, ...credentials);
    const api = await browser.get(sampleUrl(name) + routes[name].api);
    assert.equal(api.status, 200, `${name} calls its API`);
  }
  return browser;
}

/** One GET with the `Host` header given: fetch does not let a page, or a test, choose it. */
function getWithHost(url: string, host: string, headers: Record<string, string> = {}) {
  const { port, pathname, search } = new URL(url);
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: pathname + search, setHost: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            type: response.headers['content-type'] ?? '',
            body,
          }),
        );
      },
    );
    request.setHeader('Host', host);
    for (const [name, value] of Object.entries(headers)) request.setHeader(name, value);
    request.on('error', reject);
    request.end();
  });
}

/** A Content-Security-Policy header, directive by directive. */
function policyOf(response: { headers: Headers }): Map<string, string> {
  const header = response.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = '', ...sources]) => [name, sources.join(' ')]),
  );
}

const nonceOf = (html: string, tag: 'style' | 'script') =>
  new RegExp(`<${tag} nonce="([^"]+)">`).exec(html)?.[1] ?? assert.fail(`no <${tag} nonce>`);

describe('Back after a sign-out', () => {
  test('every answer of the samples and the landing page is no-store, signed-in pages first', async () => {
    const browser = await signedInEverywhere();
    const answers: Array<[string, Response]> = [];
    for (const name of names) {
      for (const path of [
        routes[name].home,
        routes[name].api,
        '/cache',
        '/favicon.ico',
        '/nowhere',
      ]) {
        answers.push([`${name} ${path}`, await browser.request(sampleUrl(name) + path)]);
      }
    }
    for (const path of ['/', '/summaries', '/timeline', '/favicon.ico']) {
      answers.push([`landing ${path}`, await fetch(landing.url + path)]);
    }
    for (const [where, response] of answers) {
      await response.body?.cancel();
      assert.equal(response.headers.get('cache-control'), 'no-store', where);
    }
    const home = await browser.get(sampleUrl('aspnet') + routes.aspnet.home);
    assert.match(home.html, /id="signed-in-user"/, 'the pages checked were signed in');
  });

  test('in Chromium (its back/forward cache on), Back after a sign-out asks the sample again: the mail is not shown', async (t) => {
    const chromium = await launchChromium(t, { backForwardCache: true });
    if (!chromium) return;
    try {
      const page = await (await chromium.newContext()).newPage();
      await page.goto(sampleUrl('aspnet') + routes.aspnet.api);
      await page.fill('input[name="login"]', user());
      await page.fill('input[name="passwd"]', env.password);
      await page.click('button[value="sign-in"]');
      await page.waitForSelector('#token-used');
      const subject = (await page.textContent('main > table tr:nth-of-type(2) td:nth-of-type(3)'))!;
      assert.ok(subject, 'the mail is on the page');

      // Sign out: the sample, then the identity platform's sign-out page. Then Back.
      await page.click('header >> text=Sign out');
      await page.waitForSelector('#continue');
      const asked: string[] = [];
      page.on('request', (request) => asked.push(request.url()));
      await page.goBack({ waitUntil: 'commit' });
      await page.waitForSelector('input[name="passwd"], #token-used');
      assert.ok(
        asked.includes(sampleUrl('aspnet') + routes.aspnet.api),
        'Back asked the sample for the page again',
      );
      assert.ok(await page.$('input[name="passwd"]'), 'the sample sent Back to sign in');
      assert.ok((await page.$('#signed-in-user')) === null, 'nobody signed in');
      assert.ok(!(await page.content()).includes(subject), 'the mail is not shown');
    } finally {
      await chromium.close();
    }
  });
});

describe('an error that escapes every handler', () => {
  // No request is known to make one on the real servers (test/robustness.test.ts tries): a server
  // with their first middleware, and a bug behind it, stands in for them.
  test("keeps no-store and a policy that allows nothing, through Koa's own error handler", async () => {
    const samplesAndLanding = pageHeaders(() => ({ 'default-src': "'none'" }));
    for (const [name, first] of [
      ['samples and landing page', samplesAndLanding],
      ['emulator', everyAnswer],
    ] as const) {
      const app = new Koa();
      app.silent = true; // the bug is the point: no stack trace in the test's output
      app.use(first);
      app.use(() => {
        throw new Error('a bug');
      });
      const server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as AddressInfo;
        const answer = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(answer.status, 500, name);
        assert.equal(await answer.text(), 'Internal Server Error');
        assert.equal(answer.headers.get('cache-control'), 'no-store', name);
        const policy = policyOf(answer);
        assert.equal(policy.get('default-src'), "'none'", name);
        assert.equal(policy.get('frame-ancestors'), "'none'", name);
      } finally {
        server.close();
      }
    }
  });
});

describe('DNS rebinding: only their own host names are answered', () => {
  const rebound = ['evil.example', 'evil.example:80', 'localhost.evil.example', '127.0.0.1.nip.io'];

  test('every server answers another Host with 421, a short plain page; its own names, with and without a port, as usual', async () => {
    const servers = [
      ...names.map((name) => ({ name, url: `${sampleUrl(name)}/cache` })),
      { name: 'landing', url: `${landing.url}/timeline` },
      { name: 'landing', url: `${landing.url}/summaries` },
      { name: 'identity platform', url: `${env.emulator.identityUrl}/events` },
      { name: 'Graph-like API', url: `${env.emulator.graphUrl}/v1.0/me` },
    ];
    for (const { name, url } of servers) {
      const { port } = new URL(url);
      for (const host of [...rebound, `evil.example:${port}`]) {
        const answer = await getWithHost(url, host);
        assert.equal(answer.status, 421, `${name} ${url} with Host ${host}`);
        assert.match(answer.type, /^text\/plain/);
        assert.match(
          answer.body,
          /^Misdirected Request: .* answers only as localhost, 127\.0\.0\.1, \[::1\]/,
        );
      }
      for (const host of [
        `localhost:${port}`,
        'localhost',
        `127.0.0.1:${port}`,
        `[::1]:${port}`,
        `LocalHost:${port}`,
      ]) {
        const answer = await getWithHost(url, host);
        const expected = name === 'Graph-like API' ? 401 : 200;
        assert.equal(answer.status, expected, `${name} ${url} with Host ${host}`);
      }
    }
  });

  test('a sample behind its TLS proxy: its base URL host, and the forwarded host only from that trusted proxy', async () => {
    const [port] = (await freePorts(1)) as [number];
    const own = await startEnvironment('aspnetcore', {
      env: { ASPNETCORE_PORT: String(port), ASPNETCORE_BASE_URL: 'https://app.example.test' },
    });
    try {
      const home = `http://127.0.0.1:${port}/`;
      const through = (host: string, forwarded?: string) =>
        getWithHost(home, host, {
          'X-Forwarded-Proto': 'https',
          ...(forwarded ? { 'X-Forwarded-Host': forwarded } : {}),
        });
      assert.equal((await through('app.example.test')).status, 200, 'the base URL host');
      assert.equal((await through(`localhost:${port}`, 'app.example.test')).status, 200);
      assert.equal((await through(`localhost:${port}`, 'evil.example')).status, 421);
      // A proxy that appends its own entry keeps the page's first: every entry must be allowed.
      for (const list of ['localhost, evil.example', 'evil.example, app.example.test']) {
        assert.equal((await through(`localhost:${port}`, list)).status, 421, list);
      }
      assert.equal((await through('app.example.test', 'app.example.test, localhost')).status, 200);
      // A rebound page can add X-Forwarded-Host to its requests, not choose their Host.
      assert.equal((await through('evil.example', 'app.example.test')).status, 421);
    } finally {
      await own.close();
    }
    // A sample with an http base URL trusts no proxy: X-Forwarded-Host counts for nothing.
    const untrusted = await getWithHost(`${sampleUrl('aspnetcore')}/`, 'localhost', {
      'X-Forwarded-Host': 'evil.example',
    });
    assert.equal(untrusted.status, 200);
  });

  test('the emulator answers the hosts of its public URLs', async () => {
    const [port, graphPort] = (await freePorts(2)) as [number, number];
    const emulator = await startEmulator(
      emulatorOptions({
        port,
        graphPort,
        publicUrls: {
          identity: `http://idp.example.test:${port}`,
          graph: `http://graph.example.test:${graphPort}`,
        },
      }),
    );
    try {
      const events = `http://127.0.0.1:${port}/events`;
      for (const host of [`idp.example.test:${port}`, 'graph.example.test', '127.0.0.1']) {
        assert.equal((await getWithHost(events, host)).status, 200, host);
      }
      assert.equal((await getWithHost(events, 'evil.example')).status, 421);
      const me = `http://127.0.0.1:${graphPort}/v1.0/me`;
      assert.equal((await getWithHost(me, `graph.example.test:${graphPort}`)).status, 401);
      assert.equal((await getWithHost(me, 'evil.example')).status, 421);
    } finally {
      await emulator.close();
    }
  });
});

describe("each page's Content-Security-Policy", () => {
  test("a sample's page: no script, its style by this response's nonce, framed by nobody", async () => {
    const browser = await signedInEverywhere();
    const url = sampleUrl('aspnet') + routes.aspnet.api;
    const [first, second] = [await browser.request(url), await browser.request(url)];
    const html = await first.text();
    await second.body?.cancel();
    const policy = policyOf(first);
    assert.equal(policy.get('default-src'), "'none'");
    assert.equal(policy.get('script-src'), undefined, "default-src 'none' covers scripts");
    assert.equal(policy.get('style-src'), `'nonce-${nonceOf(html, 'style')}'`);
    assert.equal(policy.get('form-action'), "'self'");
    assert.equal(policy.get('frame-ancestors'), "'none'");
    assert.equal(first.headers.get('x-frame-options'), 'DENY');
    assert.notEqual(
      policyOf(second).get('style-src'),
      policy.get('style-src'),
      'a nonce per response',
    );
    assert.doesNotMatch(first.headers.get('content-security-policy') ?? '', /unsafe/);
  });

  test('the landing page: its script and style by nonce, fetching from its own origin only', async () => {
    const response = await fetch(`${landing.url}/`);
    const html = await response.text();
    const policy = policyOf(response);
    assert.equal(policy.get('script-src'), `'nonce-${nonceOf(html, 'script')}'`);
    assert.equal(policy.get('style-src'), `'nonce-${nonceOf(html, 'style')}'`);
    assert.equal(policy.get('connect-src'), "'self'");
    assert.equal(policy.get('frame-ancestors'), "'none'");
    assert.doesNotMatch(
      html,
      /\sstyle="|\son[a-z]+="/,
      'no inline style or event handler attributes',
    );
  });

  test("the emulator's pages: the sign-in form and form_post may post to the app, the sign-out page frames the apps", async () => {
    const browser = new Browser();
    const aspnetcore = new URL(sampleUrl('aspnetcore')).origin;
    const authorize = (
      await browser.request(sampleUrl('aspnetcore') + routes.aspnetcore.signIn)
    ).headers.get('location')!;
    const signInPage = await browser.request(authorize);
    const signInHtml = await signInPage.text();
    const signInPolicy = policyOf(signInPage);
    assert.equal(signInPolicy.get('script-src'), undefined);
    assert.equal(signInPolicy.get('style-src'), `'nonce-${nonceOf(signInHtml, 'style')}'`);
    // The form posts to the emulator, which may redirect to the app (response_mode=query).
    assert.equal(signInPolicy.get('form-action'), `'self' ${aspnetcore}`);
    assert.equal(signInPolicy.get('frame-ancestors'), "'none'");

    const flowToken = /name="flowToken" value="([^"]+)"/.exec(signInHtml)?.[1] ?? '';
    const formPost = await browser.requestForm(endpoint('/login'), {
      flowToken,
      login: user(),
      passwd: env.password,
      action: 'sign-in',
    });
    const formPostHtml = await formPost.text();
    const formPostPolicy = policyOf(formPost);
    assert.equal(formPostPolicy.get('script-src'), `'nonce-${nonceOf(formPostHtml, 'script')}'`);
    assert.equal(formPostPolicy.get('form-action'), `'self' ${aspnetcore}`);
    assert.equal(formPost.headers.get('x-frame-options'), 'DENY');

    // Signed in to every sample through this browser's session: the sign-out page frames three.
    for (const name of names.slice(1)) await browser.signIn(sampleUrl(name) + routes[name].signIn);
    const logout = await browser.requestForm(endpoint('/oauth2/v2.0/logout'), {});
    const logoutHtml = await logout.text();
    const logoutPolicy = policyOf(logout);
    assert.equal(logoutPolicy.get('script-src'), `'nonce-${nonceOf(logoutHtml, 'script')}'`);
    const frameOrigins = ['aspnetcore', 'java', 'python'].map(
      (name) => new URL(sampleUrl(name as SampleName)).origin,
    );
    // 'self' too: python's front-channel URL redirects its frame to the end-session endpoint.
    assert.deepEqual(
      logoutPolicy.get('frame-src')?.split(' ').sort(),
      ["'self'", ...frameOrigins].sort(),
    );
    assert.equal(logoutPolicy.get('frame-ancestors'), "'none'");
    assert.doesNotMatch(logoutHtml, /\sonload="/, 'no inline event handler');
  });
});

describe("the emulator's pages are framed by nobody", () => {
  test('frame-ancestors and X-Frame-Options on every answer; the end-session answer inside a frame, by the emulator only', async () => {
    const browser = new Browser();
    const authorize = (
      await browser.request(sampleUrl('aspnetcore') + routes.aspnetcore.signIn)
    ).headers.get('location')!;
    const answers: Array<[string, Response]> = [
      ['the SSO page', await browser.request(`${env.emulator.identityUrl}/`)],
      ['the sign-in page', await browser.request(authorize)],
      ['an error page', await browser.request(endpoint('/oauth2/v2.0/authorize'))],
      ['the sign-out page', await browser.request(endpoint('/oauth2/v2.0/logout'))],
      ['the signed-out page', await browser.request(endpoint('/oauth2/v2.0/logoutsession'))],
      ['discovery', await fetch(endpoint('/v2.0/.well-known/openid-configuration'))],
      ['events', await fetch(`${env.emulator.identityUrl}/events`)],
    ];
    for (const [what, response] of answers) {
      await response.body?.cancel();
      assert.equal(policyOf(response).get('frame-ancestors'), "'none'", what);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', what);
    }
    const framed = await browser.request(endpoint('/oauth2/v2.0/logout'), {
      headers: { 'Sec-Fetch-Dest': 'iframe' },
    });
    assert.match(await framed.text(), /id="framed-logout"/);
    assert.equal(policyOf(framed).get('frame-ancestors'), "'self'");
    assert.equal(framed.headers.get('x-frame-options'), 'SAMEORIGIN');
  });

  test("in Chromium, another site's page cannot frame the SSO page and its Revoke sessions buttons", async (t) => {
    const chromium = await launchChromium(t);
    if (!chromium) return;
    const site = http.createServer((_request, response) => {
      response.setHeader('Content-Type', 'text/html');
      response.end(`<iframe src="${env.emulator.identityUrl}/" width="800" height="600"></iframe>`);
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    try {
      const context = await chromium.newContext();
      const violations = await cspViolations(context);
      const page = await context.newPage();
      await page.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
      const frame = page.frames().find((each) => each !== page.mainFrame());
      assert.ok(frame, 'the page has its frame');
      // (An element handle is no value to compare: an assertion would try to print it.)
      const revoke = await frame.$('button[id^="revoke-"]');
      assert.ok(revoke === null, 'no Revoke sessions button shown in the frame');
      assert.ok(
        violations.some((violation) => /frame-ancestors 'none'/.test(violation)),
        `Chromium refused the frame: ${violations.join('\n')}`,
      );
    } finally {
      await chromium.close();
      site.close();
    }
  });
});

test('no page of a signed-in journey prints the sid: the session goes by its label', async () => {
  const browser = await signedInEverywhere();
  const sid = await ssoSid(browser, env.emulator);
  const shown: Array<[string, string]> = [];
  const read = async (url: string, init: RequestInit = {}) => {
    const response = await browser.request(url, init);
    const text = await response.text();
    shown.push([url, text]);
    return { response, text };
  };
  for (const name of names) {
    for (const path of [routes[name].home, routes[name].api, '/cache']) {
      await read(sampleUrl(name) + path);
    }
    await read(`${sampleUrl(name)}/cache`, { headers: { accept: 'application/json' } });
  }
  const home = shown.find(([url]) => url === `${sampleUrl('aspnetcore')}/`)?.[1] ?? '';
  assert.match(home, new RegExp(`data-claim="sid">session <code>${sessionLabel(sid)}</code>`));
  for (const path of ['/', '/summaries', '/timeline']) await read(landing.url + path);
  await read(`${env.emulator.identityUrl}/`);
  await read(`${env.emulator.identityUrl}/events`);

  // Sign out everywhere. The sign-out page hands the sid to each app in its frame's URL, as
  // Entra's does: the browser needs it there, and it is no text on the page.
  const logout = await read(endpoint('/oauth2/v2.0/logout'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  shown.pop();
  shown.push(['the sign-out page, but its frames', logout.text.replace(/<iframe[^>]*>/g, '')]);
  const frames = [...logout.text.matchAll(/<iframe[^>]* src="([^"]+)"/g)].map(([, src = '']) =>
    src.replace(/&amp;/g, '&'),
  );
  assert.equal(frames.length, 3);
  for (const src of frames) {
    assert.ok(src.includes(`sid=${sid}`), src);
    // What each frame shows: the app's answer, and where it redirects the frame.
    let url: string | null = src;
    for (let hop = 0; url && hop < 3; hop++) {
      const { response } = await read(url, { headers: { 'Sec-Fetch-Dest': 'iframe' } });
      const location = response.headers.get('location');
      url = location ? new URL(location, url).href : null;
    }
  }
  const continueUrl = /<a id="continue" href="([^"]+)"/.exec(logout.text)?.[1] ?? '';
  await read(continueUrl.replace(/&amp;/g, '&'));
  await read(`${env.emulator.identityUrl}/events`);

  assert.ok(shown.length > 20, `${shown.length} pages read`);
  for (const [where, text] of shown) assert.ok(!text.includes(sid), `${where} prints the sid`);
});
