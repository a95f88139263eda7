/**
 * docs/your-own-koa-app.md, proven. The minimal app (samples/your-own-app/app.ts) is copied as the
 * page says — the core folder and app.ts, in a folder of their own, nothing else of the project in
 * reach — and driven end to end against the emulator, over real HTTP, by browsers that keep
 * cookies as today's do: two users sign in and call Graph; one signs out here, the other at the
 * identity platform, whose front-channel request carries no cookie of the app. Then the page's
 * commands, run as a person runs them, and the page's count of the app's lines.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import { EMULATOR_DEFAULTS } from '../emulator/index.ts';
import { paths } from '../samples/your-own-app/app.ts';
import { type Started, start } from '../samples/your-own-app/main.ts';
import { NAMESPACE } from '../shared/core/store/redis-store.ts';
import { Browser, parseForm } from './helpers/browser.ts';
import { Command } from './helpers/command.ts';
import { freePorts } from './helpers/environment.ts';
import { startRedis } from './helpers/redis.ts';

const root = path.resolve(import.meta.dirname, '..');
const page = readFileSync(path.join(root, 'docs/your-own-koa-app.md'), 'utf8');
/** Every line of the page's `sh` blocks: each is run below. */
const documented = [...page.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap(([, block = '']) =>
  block.trim().split('\n'),
);
const ran = new Set<string>();
/** Those whose test was skipped (no redis-server here). */
const skipped = new Set<string>();

/** A command the page shows, as it shows it. */
function documentedCommand(line: string): string {
  assert.ok(documented.includes(line), `docs/your-own-koa-app.md shows \`${line}\``);
  ran.add(line);
  return line;
}

const password = EMULATOR_DEFAULTS.password;
const jwt = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

/**
 * The page's "what to copy", in a folder of its own: its commands, then the one import changed to
 * `./core/index.ts`, and the packages it says to install (with what they depend on) linked from
 * this project's node_modules. Nothing else of the project is in reach.
 */
/** The packages the page says to install (not the types): "install what they import: …, with". */
function packagesToInstall(): string[] {
  const sentence = /install what they import:([\s\S]*?)\bwith\b/.exec(page)?.[1] ?? '';
  const names = [...sentence.matchAll(/`([^`]+)`/g)].map(([, name]) => name as string);
  assert.ok(names.length >= 5, 'the page names the packages to install');
  return names;
}

/** Links `names`, and every package they depend on, from this project's node_modules into `into`. */
function linkPackages(into: string, names: string[]): void {
  const linked = new Set<string>();
  const visit = (name: string) => {
    const from = path.join(root, 'node_modules', name);
    // A dependency kept inside its dependent's own node_modules travels with it.
    if (linked.has(name) || !existsSync(from)) return;
    linked.add(name);
    mkdirSync(path.dirname(path.join(into, name)), { recursive: true });
    symlinkSync(from, path.join(into, name));
    const manifest = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8'));
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency);
  };
  for (const name of names) visit(name);
}

async function copyAsThePageSays(): Promise<typeof import('../samples/your-own-app/app.ts')> {
  const dir = mkdtempSync(path.join(tmpdir(), 'your-own-app-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['shared', 'samples'])
    symlinkSync(path.join(root, name), path.join(dir, name));
  for (const line of documented.filter((line) => /^(mkdir|cp) /.test(line))) {
    execFileSync('sh', ['-c', documentedCommand(line)], { cwd: dir });
  }
  for (const name of ['shared', 'samples']) unlinkSync(path.join(dir, name));
  linkPackages(path.join(dir, 'your-app', 'node_modules'), packagesToInstall());
  const app = path.join(dir, 'your-app', 'app.ts');
  const source = readFileSync(app, 'utf8').replace(
    "'../../shared/core/index.ts'",
    "'./core/index.ts'",
  );
  assert.deepEqual(
    [...source.matchAll(/from '(\.[^']*)'/g)].map(([, from]) => from),
    ['./core/index.ts'],
  );
  writeFileSync(app, source);
  return import(pathToFileURL(app).href);
}

describe('your own Koa app, copied as docs/your-own-koa-app.md says, against the emulator', () => {
  let started: Started;
  const url = (route: string) => started.url + route;
  const emulator = () => started.emulator ?? assert.fail('no emulator');
  const username = (index: number) => emulator().users[index]?.userPrincipalName ?? '';
  const cachedUsers = async () =>
    (await started.own.tokenCache.summary()).accounts.map((account) => account.username).sort();
  const usersOf = (sid: string) => started.own.sessions.usersOf(sid);
  /** The `sid` of a browser's session at the identity platform, which no page shows. */
  const sidOf = async (browser: Browser) =>
    emulator().sidOf(await browser.jar.getCookieString(emulator().identityUrl)) ?? assert.fail();
  const isSignedIn = async (browser: Browser) =>
    /id="signed-in-user"/.test((await browser.get(url('/'))).html);
  const tokenRequests = () => emulator().tokenRequests.length;
  const browsers: Record<'adele' | 'megan', Browser> = {
    adele: new Browser(),
    megan: new Browser(),
  };

  async function signIn(browser: Browser, index: number): Promise<void> {
    const home = await browser.signIn(url(paths.signIn), username(index), password);
    assert.match(home.html, new RegExp(`id="signed-in-user">${username(index)}<`));
  }

  async function profile(browser: Browser): Promise<string> {
    const answer = await browser.get(url(paths.profile));
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(answer.html, jwt, 'no token on the page');
    return answer.html;
  }

  before(async () => {
    const copied = await copyAsThePageSays();
    const [PORT, EMULATOR_PORT, GRAPH_PORT] = (await freePorts(3)).map(String);
    started = await start({ PORT, EMULATOR_PORT, GRAPH_PORT }, copied.createApp);
  });
  after(() => started?.close());

  test('Adele signs in (code + PKCE, form_post) and Graph /me answers with a token from her partition', async () => {
    const authorize = await new Browser().request(url(paths.signIn));
    const query = new URL(authorize.headers.get('location') ?? '').searchParams;
    assert.equal(query.get('response_mode'), 'form_post');
    assert.equal(query.get('code_challenge_method'), 'S256');

    await signIn(browsers.adele, 0);
    const cookies = await browsers.adele.jar.getCookies(started.url);
    const session = cookies.find((cookie) => cookie.key === 'your-own-app.session');
    assert.equal(session?.httpOnly, true);
    assert.equal(session?.sameSite, 'lax');
    assert.ok(
      cookies.some((cookie) => cookie.key === 'your-own-app.session.sig'),
      'signed',
    );
    const before = tokenRequests();
    assert.match(await profile(browsers.adele), /<dd>Adele Vance<dt>/);
    assert.match(await profile(browsers.adele), /id="token">cached access token</);
    assert.deepEqual(
      emulator()
        .graphRequests.slice(-2)
        .map(({ path, status }) => [path, status]),
      [
        ['/v1.0/me', 200],
        ['/v1.0/me', 200],
      ],
    );
    assert.equal(tokenRequests(), before, 'the token came from the cache');
    assert.deepEqual(await cachedUsers(), [username(0)]);
  });

  test("Megan signs in in another browser; Adele's sign-out here removes Adele's tokens and sessions, and leaves Megan's", async () => {
    await signIn(browsers.megan, 2);
    assert.match(await profile(browsers.megan), /<dd>Megan Bowen<dt>/);
    assert.deepEqual(await cachedUsers(), [username(0), username(2)].sort());
    const adeleSid = await sidOf(browsers.adele);
    const adeleCookie = await browsers.adele.jar.getCookieString(started.url);

    const signOut = await browsers.adele.request(url(paths.signOut));
    assert.equal(signOut.status, 302);
    const endSession = new URL(signOut.headers.get('location') ?? '');
    assert.equal(endSession.pathname, `/${emulator().tenantId}/oauth2/v2.0/logout`);
    assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), url(paths.signedOut));
    assert.ok(endSession.searchParams.get('logout_hint'));
    // Gone before the identity platform is even told: her partition, her sessions, by sid too.
    assert.deepEqual(await cachedUsers(), [username(2)]);
    assert.deepEqual(await usersOf(adeleSid), []);
    // Her old cookie, replayed, signs nobody in: the API call needs a sign-in again.
    const replayed = await fetch(url(paths.profile), {
      headers: { cookie: adeleCookie },
      redirect: 'manual',
    });
    assert.equal(replayed.headers.get('location'), `${paths.signIn}?returnTo=${paths.profile}`);
    // The identity platform signs her out too, and sends her back.
    const signedOut = await browsers.adele.navigate(endSession.href, { method: 'GET' });
    assert.equal(signedOut.url, url(paths.signedOut));
    assert.equal(await isSignedIn(browsers.adele), false);

    const before = tokenRequests();
    assert.match(await profile(browsers.megan), /id="token">cached access token</);
    assert.equal(tokenRequests(), before, "Megan's tokens are untouched");
  });

  test('Megan signs out at the identity platform: its front-channel request, without the cookie, removes her tokens and sessions, found by sid', async () => {
    const meganSid = await sidOf(browsers.megan);
    assert.equal((await usersOf(meganSid)).length, 1);

    // "Sign out everywhere" on the identity platform's page: no app started this sign-out.
    const ssoPage = await browsers.megan.get(`${emulator().identityUrl}/`);
    const form = parseForm(ssoPage.html, ssoPage.url, (html) => html.includes('/logout'));
    await browsers.megan.post(form.action, form.fields);

    const [request, ...others] = browsers.megan.frontChannelRequests;
    assert.equal(others.length, 0);
    assert.equal(request?.url, `${url(paths.frontChannelLogout)}?sid=${meganSid}`);
    assert.equal(request?.cookie, '', 'a cross-site frame: no cookie of the app');
    assert.equal(request?.status, 200);
    assert.equal(request?.headers.get('cache-control'), 'no-cache, no-store');
    assert.equal(
      request?.headers.get('content-security-policy'),
      `frame-ancestors ${emulator().identityUrl}`,
    );

    assert.deepEqual(await cachedUsers(), []);
    assert.deepEqual(await usersOf(meganSid), []);
    assert.equal(await isSignedIn(browsers.megan), false);
    // The API call needs a sign-in, with the password: her identity platform session ended too.
    assert.match((await browsers.megan.get(url(paths.profile))).html, /name="passwd"/);
  });

  test('a form POST to the front-channel logout URL signs out too; a request for no one changes nothing', async () => {
    const alex = new Browser();
    await signIn(alex, 1);
    const frontChannel = (form: Record<string, string>) =>
      fetch(url(paths.frontChannelLogout), { method: 'POST', body: new URLSearchParams(form) });

    const nobody = await frontChannel({ sid: '00000000-0000-4000-8000-000000000000' });
    assert.equal(nobody.status, 200);
    assert.equal((await frontChannel({})).status, 400);
    assert.deepEqual(await cachedUsers(), [username(1)]);

    const answer = await frontChannel({ sid: await sidOf(alex), iss: emulator().issuer });
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'Signed out.');
    assert.deepEqual(await cachedUsers(), []);
    assert.equal(await isSignedIn(alex), false);
  });

  test('every page is no-store and framed by nobody; a made-up sign-in response is refused; another Host gets 421', async () => {
    const home = await fetch(url('/'));
    assert.equal(home.headers.get('cache-control'), 'no-store');
    assert.match(home.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const error = await fetch(url(`${paths.redirect}`), {
      method: 'POST',
      body: new URLSearchParams({ state: '<script>', code: 'x' }),
    });
    assert.equal(error.status, 400);
    assert.doesNotMatch(await error.text(), /<script>/);
    // A page of another site that a DNS record rebinds to this machine: its Host is not the app's.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.get(url('/'), { headers: { host: 'evil.example' } }, (answer) => {
        answer.resume();
        resolve(answer.statusCode);
      });
      request.on('error', reject);
    });
    assert.equal(rebound, 421);
    // A method no route serves: 405, never a 5xx.
    assert.equal((await fetch(url('/'), { method: 'PROPFIND' })).status, 405);
  });
});

// Side by side: each command starts in a few seconds, mostly npm's and tsx's own.
describe('the commands of docs/your-own-koa-app.md', { concurrency: true }, () => {
  /**
   * A line of the page, run until the test ends: `NAME=value` prefixes as the environment,
   * `<placeholders>` filled in.
   */
  function run(
    t: TestContext,
    line: string,
    env: Record<string, string>,
    values: Record<string, string> = {},
  ) {
    const filled = documentedCommand(line).replace(/<[\w-]+>/g, (name) => values[name] ?? name);
    const words = filled.split(' ');
    const variables = words.filter((word) => /^[A-Z_]+=/.test(word));
    for (const variable of variables) {
      const [name = '', ...value] = variable.split('=');
      env[name] ??= value.join('=');
    }
    const command = new Command(words.slice(variables.length).join(' '), env);
    t.after(() => command.kill());
    return command;
  }

  async function portsEnv(): Promise<Record<'PORT' | 'EMULATOR_PORT' | 'GRAPH_PORT', string>> {
    const [app, emulator, graph] = (await freePorts(3)).map(String) as [string, string, string];
    return { PORT: app, EMULATOR_PORT: emulator, GRAPH_PORT: graph };
  }

  test('npm run your-own-app: the emulator with the app registered, the app, a sign-in; Ctrl-C stops both', async (t) => {
    const env = await portsEnv();
    const command = run(t, 'npm run your-own-app', env);
    await command.waitFor(/Open http:\/\/localhost:\d+/);
    assert.match(command.output, new RegExp(`http://127\\.0\\.0\\.1:${env.EMULATOR_PORT}/`));
    assert.match(command.output, /AdeleV@contoso\.onmicrosoft\.com.*Passw0rd!/);
    const url = `http://localhost:${env.PORT}`;
    const home = await new Browser().signIn(
      `${url}${paths.signIn}`,
      'AdeleV@contoso.onmicrosoft.com',
      password,
    );
    assert.match(home.html, /id="signed-in-user">AdeleV@contoso\.onmicrosoft\.com</);
    assert.ok(await command.interrupt(), command.output);
    assert.doesNotMatch(command.output, /eyJ|Error/);
  });

  test('with ENTRA_TENANT_ID, ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET: no emulator, the tenant’s discovery document', async (t) => {
    // A closed local port stands in for login.microsoftonline.com (ENTRA_INSTANCE): no network.
    const [closed] = await freePorts(1);
    const env = { ...(await portsEnv()), ENTRA_INSTANCE: `http://127.0.0.1:${closed}` };
    const tenant = '11111111-2222-3333-4444-555555555555';
    const command = run(
      t,
      'ENTRA_TENANT_ID=<tenant-id> ENTRA_CLIENT_ID=<client-id> ENTRA_CLIENT_SECRET=<client-secret> npm run your-own-app',
      env,
      { '<tenant-id>': tenant, '<client-secret>': 'do-not-print-this-secret' },
    );
    assert.equal(await command.exitCode(), 1);
    assert.match(
      command.output,
      new RegExp(
        `127\\.0\\.0\\.1:${closed}/${tenant}/v2\\.0/\\.well-known/openid-configuration: it refused the connection`,
      ),
    );
    assert.doesNotMatch(command.output, /emulat|do-not-print/i);
  });

  test('with REDIS_URL: sessions and tokens in Redis, every value sealed; a sign-out removes them', async (t) => {
    const line =
      'REDIS_URL=redis://localhost:6379 SESSION_SECRET=<a-long-random-secret> npm run your-own-app';
    const redis = await startRedis(t);
    if (!redis) return void skipped.add(line);
    const env = { ...(await portsEnv()), REDIS_URL: redis.url };
    const command = run(t, line, env, {
      '<a-long-random-secret>': 'a-secret-of-this-test-0123456789abcdef',
    });
    await command.waitFor(/Open http:\/\/localhost:\d+/);
    const url = `http://localhost:${env.PORT}`;
    const browser = new Browser();
    await browser.signIn(`${url}${paths.signIn}`, 'AlexW@contoso.onmicrosoft.com', password);
    const client = createClient({ url: redis.url }).on('error', () => {});
    await client.connect();
    try {
      const partitions = () => client.keys(`${NAMESPACE}your-own-app:msal:*`);
      const [partition, ...others] = await partitions();
      assert.equal(others.length, 0);
      const sealed = (await client.get(partition ?? '')) ?? '';
      // Random base64url: no JSON, no name; (`eyJ`, a JWT's start, turns up in random data by chance).
      assert.throws(() => JSON.parse(sealed), SyntaxError, 'sealed, not msal JSON');
      assert.doesNotMatch(sealed, /RefreshToken|AlexW/, 'sealed, not msal JSON');
      await browser.get(`${url}${paths.signOut}`);
      assert.deepEqual(await partitions(), []);
    } finally {
      await client.close();
    }
    assert.ok(await command.interrupt(), command.output);
  });
});

test('a bad port or a short SESSION_SECRET stops the start-up with one line, before anything starts', async () => {
  await assert.rejects(
    start({ PORT: 'abc' }),
    /^StartupError: PORT must be a port, a whole number from 1 to 65535 \(not "abc"\)$/,
  );
  await assert.rejects(start({ EMULATOR_PORT: '0' }), /EMULATOR_PORT must be a port/);
  await assert.rejects(
    start({ REDIS_URL: 'redis://127.0.0.1:1', SESSION_SECRET: 'x' }),
    /SESSION_SECRET must be at least 32 characters long/,
  );
});

test('the URIs docs/your-own-koa-app.md says to register in Entra ID are the app’s', () => {
  const flat = page.replace(/\s+/g, ' ');
  for (const path of [paths.redirect, paths.signedOut, paths.frontChannelLogout]) {
    assert.ok(flat.includes(`\`http://localhost:3100${path}\``), path);
  }
});

test('docs/your-own-koa-app.md says how many lines app.ts has of its own: at most 170', () => {
  const source = readFileSync(path.join(root, 'samples/your-own-app/app.ts'), 'utf8');
  const own = source.split('\n').filter((line) => !/^\s*$|^\s*(\/\/|\/\*|\*)/.test(line)).length;
  assert.ok(own <= 170, `app.ts has ${own} lines of its own`);
  assert.match(page, new RegExp(`\\b${own}\\s+lines\\s+of\\s+its\\s+own\\b`));
});

test('every command docs/your-own-koa-app.md shows was run above', () => {
  assert.ok(documented.length > 0);
  assert.deepEqual(
    documented.filter((line) => !ran.has(line) && !skipped.has(line)),
    [],
  );
});
