/**
 * Every route that takes input, in the five samples and in the emulator (identity platform and
 * Graph-like API), fed a few hundred malformed, oversized and hostile requests — methods, paths,
 * queries, headers, bodies, encodings — generated from a seed (ROBUSTNESS_SEED to replay one).
 * Each must be answered with a status under 500, with no stack trace, within a bounded time; no
 * server may log an error; and every server must still answer afterwards.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { type SampleName, sampleNames } from '../samples/index.ts';
import { Browser } from './helpers/browser.ts';
import { startSamples, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const SEED = Number(process.env.ROBUSTNESS_SEED ?? 20261125);
const REQUESTS_PER_SERVER = 70;
const ANSWER_WITHIN_MS = 5_000;

const { aspnetcore, aspnet, java, node, python } = SAMPLE_ROUTES;
/**
 * The routes that take input, per server. `{t}` is the tenant id. A path two of a sample's routes
 * share is listed once: aspnet's redirect and post-logout paths are its home, java's redirect path
 * its sign-in, python's post-logout path its home and its front-channel path its sign-out. java's
 * front-channel path has no route, and its post-logout path is its home with a slash.
 */
const routes: Record<SampleName | 'identity' | 'graph', string[]> = {
  aspnetcore: [
    aspnetcore.home,
    aspnetcore.signIn,
    aspnetcore.redirect,
    aspnetcore.api,
    aspnetcore.signOut,
    aspnetcore.postLogout,
    aspnetcore.frontChannel,
    '/cache',
  ],
  aspnet: [aspnet.home, aspnet.signIn, aspnet.api, aspnet.signOut, '/cache'],
  java: [java.home, java.signIn, java.api, java.signOut, '/cache'],
  node: [
    node.home,
    node.signIn,
    node.redirect,
    node.acquireToken,
    node.id,
    node.api,
    node.signOut,
    '/cache',
  ],
  python: [
    python.home,
    python.signIn,
    python.loginStart,
    python.redirect,
    python.api,
    python.signOut,
    '/cache',
  ],
  identity: [
    '/',
    '/{t}/v2.0/.well-known/openid-configuration',
    '/{t}/discovery/v2.0/keys',
    '/{t}/oauth2/v2.0/authorize',
    '/{t}/login',
    '/{t}/oauth2/v2.0/token',
    '/{t}/oauth2/v2.0/logout',
    '/{t}/oauth2/v2.0/logoutsession',
  ],
  graph: ['/v1.0/me', '/v1.0/users', '/v1.0/me/messages'],
};

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick };
}

const names = [
  'state',
  'code',
  'sid',
  'iss',
  'redirectUri',
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'prompt',
  'login_hint',
  'nonce',
  'flowToken',
  'login',
  'passwd',
  'action',
  'post_logout_redirect_uri',
  'error',
  'error_description',
  'session_state',
  'grant_type',
  'refresh_token',
  'code_verifier',
  'code_challenge',
  '__proto__',
  'constructor',
  '',
];
const values = [
  '',
  'x',
  '%ZZ',
  '%E0%A4%A',
  '%C3%28',
  '%00',
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  '//evil.example/',
  'https://evil.example/',
  '/x/..//evil.example',
  '/\\evil.example',
  '//[',
  '/\\[',
  '//%',
  '//a:99999',
  `/${'é'.repeat(400)}`,
  '..%2F..%2F',
  'authorization_code',
  'refresh_token',
  'openid profile offline_access',
  'none',
  'login',
  '9188040d-6c67-4c5b-b112-36a304b66dad',
  '00000000-0000-0000-0000-000000000000',
  '😀'.repeat(50),
  'A'.repeat(3_000),
  '{"a":1}',
  'true',
  '-1',
  '1e309',
  'null',
  '[object Object]',
];
const hosts = ['localhost', '127.0.0.1', '[::1', 'a b', '', 'evil.example', 'localhost:99999'];
const contentTypes = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
];

type Random = ReturnType<typeof generator>;

function query(random: Random): string {
  const count = Math.floor(random.next() * 6);
  const parts: string[] = [];
  for (let index = 0; index < count; index += 1) {
    // Values go in raw as often as encoded: malformed escapes must reach the servers.
    const value = random.pick(values);
    parts.push(`${random.pick(names)}=${random.next() < 0.5 ? value : encodeURIComponent(value)}`);
  }
  return parts.join('&');
}

function path(random: Random, route: string): string {
  const mutations = [
    (p: string) => p,
    (p: string) => p,
    (p: string) => p,
    (p: string) => p,
    (p: string) => p,
    (p: string) => p.toUpperCase(),
    (p: string) => `${p}/`,
    (p: string) => `${p}%00`,
    (p: string) => `${p}/%ZZ`,
    (p: string) => `/${p}`,
    (p: string) => `${p}/../../etc/passwd`,
    (p: string) => `${p}/${'a'.repeat(4_000)}`,
  ];
  return random.pick(mutations)(route);
}

/**
 * One hostile request, as raw bytes, and a description to print if it fails. A third of them
 * carry the cookies of a real signed-in browser, to reach what only a signed-in user reaches.
 */
function hostileRequest(
  random: Random,
  route: string,
  signedInCookies: string,
): { raw: Buffer; description: string; cutShort: boolean } {
  const method = random.pick([
    'GET',
    'GET',
    'POST',
    'POST',
    'PUT',
    'DELETE',
    'OPTIONS',
    'HEAD',
    'PROPFIND',
  ]);
  const q = query(random);
  const target = path(random, route) + (q ? `?${q}` : '');
  // Mostly a host the servers answer, so that the rest of the request reaches the routes; the
  // others are turned away at the door (421, or 400 for a Host that is not one).
  const host = random.next() < 0.8 ? 'localhost' : random.pick(hosts);
  const headers = [`Host: ${host}`, 'Connection: close'];
  if (random.next() < 0.3)
    headers.push(`Accept: ${random.pick(['application/json', 'text/html', '*/*', '???'])}`);
  if (signedInCookies && random.next() < 0.33) {
    headers.push(`Cookie: ${signedInCookies}`);
  } else if (random.next() < 0.3) {
    const cookie = random.pick([
      'aspnetcore.session=abc; aspnetcore.session.sig=forged',
      `java.session=${'x'.repeat(4_000)}`,
      'python.session=; emulator.ESTSAUTH=garbage; emulator.browser=x',
      'aspnetcore.signin=AQ; python.signin=%ZZ',
    ]);
    headers.push(`Cookie: ${cookie}`);
  }
  if (random.next() < 0.2)
    headers.push(`X-Forwarded-Proto: ${random.pick(['https', 'http', 'gopher'])}`);
  if (random.next() < 0.2)
    headers.push(
      `Authorization: ${random.pick(['Bearer x.y.z', 'Basic %%%', `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer'])}`,
    );
  let body = Buffer.alloc(0);
  let declaredLength: number | undefined;
  if (method !== 'GET' && method !== 'HEAD' && random.next() < 0.8) {
    const kind = random.pick(['form', 'form', 'bytes', 'huge', 'truncated', 'badutf8']);
    if (kind === 'form') body = Buffer.from(query(random));
    if (kind === 'bytes')
      body = Buffer.from(Array.from({ length: 200 }, () => Math.floor(random.next() * 256)));
    if (kind === 'huge') body = Buffer.from(`a=${'b'.repeat(100 * 1024)}`);
    if (kind === 'badutf8') body = Buffer.from([0x61, 0x3d, 0xc3, 0x28, 0xff, 0xfe]);
    declaredLength = kind === 'truncated' ? 1_000 : body.length;
    if (kind === 'truncated') body = Buffer.from('a=b&c=');
    headers.push(`Content-Type: ${random.pick(contentTypes)}`);
    if (random.next() < 0.1) headers.push('Content-Encoding: gzip');
    headers.push(`Content-Length: ${declaredLength}`);
  }
  const head = `${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`;
  return {
    raw: Buffer.concat([Buffer.from(head), body]),
    cutShort: declaredLength !== undefined && declaredLength > body.length,
    description: `${method} ${target.slice(0, 120)} [${headers.map((h) => h.slice(0, 60)).join(' | ')}] body ${body.length}B`,
  };
}

/**
 * Sends raw bytes and reads the answer until the server closes the connection. A request cut
 * short is followed by the client going away (a half-close), as a client that gives up does: the
 * server may then answer nothing at all (status 0).
 */
function send(
  port: number,
  raw: Buffer,
  cutShort: boolean,
): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`));
    }, ANSWER_WITHIN_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text, ms: Date.now() - started });
    });
    if (cutShort) socket.end(raw);
    else socket.write(raw);
  });
}

let env: TestEnvironment;
const logged: unknown[][] = [];
const consoleError = console.error;
before(async () => {
  env = await startSamples(sampleNames);
  console.error = (...args: unknown[]) => {
    logged.push(args);
    consoleError(...args);
  };
});
after(async () => {
  console.error = consoleError;
  await env.close();
});

test(`${REQUESTS_PER_SERVER} hostile requests per server: never a 5xx, a stack trace or a hang (seed ${SEED})`, async () => {
  const random = generator(SEED);
  const servers = [
    ...sampleNames.map((name) => ({ name, url: env.samples[name]!.url })),
    { name: 'identity' as const, url: env.emulator.identityUrl },
    { name: 'graph' as const, url: env.emulator.graphUrl },
  ];
  // One browser signed in to every sample (and so to the emulator): its cookies, per server.
  const browser = new Browser();
  for (const [index, name] of sampleNames.entries()) {
    const user = env.emulator.users[0]!.userPrincipalName;
    await browser.signIn(
      env.samples[name]!.url + SAMPLE_ROUTES[name].signIn,
      ...(index === 0 ? [user, env.password] : []),
    );
  }
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  for (const server of servers) {
    const port = Number(new URL(server.url).port);
    const cookies = await browser.jar.getCookieString(server.url);
    for (let index = 0; index < REQUESTS_PER_SERVER; index += 1) {
      const route = random.pick(routes[server.name]).replace('{t}', env.emulator.tenantId);
      const { raw, description, cutShort } = hostileRequest(random, route, cookies);
      try {
        const { status, text } = await send(port, raw, cutShort);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if ((status === 0 && !cutShort) || status >= 500) {
          failures.push(`${server.name}: ${status} for ${description}`);
        }
        if (/\n\s+at .+:\d+:\d+\)?/.test(text) || /node_modules|\.ts:\d+/.test(text)) {
          failures.push(`${server.name}: a stack trace in the answer to ${description}`);
        }
      } catch (error) {
        failures.push(`${server.name}: ${(error as Error).message} for ${description}`);
      }
    }
  }
  console.log(
    `robustness: ${servers.length * REQUESTS_PER_SERVER} requests, seed ${SEED}, statuses`,
    Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
  );
  assert.deepEqual(failures, []);
  assert.deepEqual(logged, [], 'no server logged an error');

  // Everyone is still up and serving.
  for (const server of servers) {
    const response = await fetch(`${server.url}/favicon.ico`);
    assert.ok(
      response.status === 200 || (server.name === 'graph' && response.status === 401),
      server.name,
    );
  }
});

test('a malformed Host header on routes that read their query: answered, never a 500', async () => {
  const cases: Array<[string, string]> = [
    [env.samples.python!.url, `${python.redirect}?code=x&state=y`],
    [env.samples.aspnetcore!.url, `${aspnetcore.signIn}?redirectUri=${aspnetcore.api}`],
    [
      env.samples.aspnetcore!.url,
      `${aspnetcore.frontChannel}?sid=00000000-0000-4000-8000-000000000000`,
    ],
    [env.emulator.identityUrl, `/${env.emulator.tenantId}/oauth2/v2.0/logout?state=x`],
  ];
  for (const [url, target] of cases) {
    for (const host of ['[bad', 'a b', '']) {
      const raw = Buffer.from(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      const { status } = await send(Number(new URL(url).port), raw, false);
      assert.ok(status > 0 && status < 500, `${status} for ${target} with Host "${host}"`);
    }
  }
});

test('return paths that are not URLs at all, or too long once normalised, are ignored: never a 500', async () => {
  for (const redirectUri of ['//[', '/\\[', '//%', '//a:99999', `/${'é'.repeat(400)}`]) {
    const response = await fetch(
      `${env.samples.aspnetcore!.url}${aspnetcore.signIn}?redirectUri=${encodeURIComponent(redirectUri)}`,
      { redirect: 'manual' },
    );
    assert.equal(response.status, 302, redirectUri);
  }
});
