/**
 * The commands of the README and docs/running.md, run as a person runs them: `npm start`,
 * `npm run sample:<name>` (one or several at once, in several terminals), `npm run emulator`,
 * with bad configuration and against Entra ID. Each test gives the commands free ports through the environment.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Browser } from './helpers/browser.ts';
import { Command } from './helpers/command.ts';
import { freeConsecutivePorts, freePorts, portsEnv } from './helpers/environment.ts';
import { startRedis } from './helpers/redis.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const running: Command[] = [];
afterEach(() => {
  for (const command of running.splice(0)) command.kill();
});

function run(line: string, env: Record<string, string>): Command {
  const command = new Command(line, env);
  running.push(command);
  return command;
}

/** Whether something accepts connections on a local port. */
function listening(port: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  test('serves the emulator, five samples and the landing page, each with an icon; Ctrl-C frees every port', async () => {
    const env = await portsEnv();
    const start = run('npm start', env);
    await start.waitFor(/Open http:\/\/localhost:\d+/);
    assert.match(start.output, /Started the identity platform emulator/);

    const landing = await fetch(`http://localhost:${env.LANDING_PORT}/`);
    assert.equal(landing.status, 200);
    // The cards' headings, as read (their text, without the tags that style them).
    const text = (await landing.text()).replace(/<[^>]+>/g, '');
    assert.match(text, /aspnetcore \(Microsoft\.Identity\.Web\)/);
    const summaries = await (await fetch(`http://localhost:${env.LANDING_PORT}/summaries`)).json();
    assert.deepEqual(Object.keys(summaries as object), [
      'aspnetcore',
      'aspnet',
      'java',
      'node',
      'python',
    ]);

    // Browsers ask every origin for /favicon.ico: none answers 404.
    for (const port of Object.values(env).filter((port) => port !== env.GRAPH_PORT)) {
      const icon = await fetch(`http://localhost:${port}/favicon.ico`);
      assert.equal(icon.status, 200, `port ${port}`);
      assert.equal(icon.headers.get('content-type'), 'image/svg+xml', `port ${port}`);
    }

    assert.ok(await start.interrupt(), start.output);
    assert.doesNotMatch(start.output, /Error/);
    for (const [name, port] of Object.entries(env)) {
      assert.equal(await listening(port), false, `${name} ${port} is free after Ctrl-C`);
    }
  });

  test('EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS=301 npm start: two seconds later, java redeems its refresh token; aspnetcore (cp1) still uses its CAE token of a day', async () => {
    const env = await portsEnv();
    const start = run('npm start', { ...env, EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS: '301' });
    await start.waitFor(/Open http:\/\/localhost:\d+/);
    const browser = new Browser();
    const user = 'AdeleV@contoso.onmicrosoft.com';
    const javaUrl = `http://localhost:${env.JAVA_PORT}`;
    const aspnetcoreUrl = `http://localhost:${env.ASPNETCORE_PORT}`;
    await browser.signIn(aspnetcoreUrl + SAMPLE_ROUTES.aspnetcore.signIn, user, 'Passw0rd!');
    await browser.signIn(javaUrl + SAMPLE_ROUTES.java.signIn);
    // msal renews an access token 5 minutes before it expires (in whole seconds): one of 301 s,
    // a second or two after.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const source = (html: string) => /id="token-source">From: <strong>([^<]+)</.exec(html)?.[1];
    const java = await browser.get(javaUrl + SAMPLE_ROUTES.java.api);
    assert.equal(source(java.html), 'refresh token redeemed', java.html);
    const aspnetcore = await browser.get(aspnetcoreUrl + SAMPLE_ROUTES.aspnetcore.api);
    assert.equal(source(aspnetcore.html), 'cached access token', aspnetcore.html);
  });

  test('with bad configuration, names every problem of every sample at once and starts nothing', async () => {
    const env = await portsEnv();
    const start = run('npm start', { ...env, ASPNET_PORT: 'x', PYTHON_BASE_URL: 'nope' });
    assert.equal(await start.exitCode(), 1);
    assert.match(start.output, /ASPNET_PORT must be a port number/);
    assert.match(start.output, /PYTHON_BASE_URL must be an http\(s\) URL/);
    assert.doesNotMatch(start.output, /at .*\.ts:\d+/, 'no stack trace');
    assert.equal(await listening(env.EMULATOR_PORT), false);
  });
});

describe('several instances over Redis', () => {
  test('npm run sample:aspnetcore -- --instances 2: consecutive ports, one app; Ctrl-C frees both', async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const [first, second] = (await freeConsecutivePorts(2)).map(String) as [string, string];
    const env = { ...(await portsEnv()), ASPNETCORE_PORT: first, REDIS_URL: redis.url };
    const sample = run('npm run sample:aspnetcore -- --instances 2', env);
    await sample.waitFor(/instance 2\): http:\/\/localhost:\d+/);
    assert.match(sample.output, new RegExp(`instance 1\\): http://localhost:${first}`));
    assert.match(sample.output, new RegExp(`instance 2\\): http://localhost:${second}`));

    // Signed in through one, signed in on the other: the session is in Redis.
    const browser = new Browser();
    const user = 'AlexW@contoso.onmicrosoft.com';
    await browser.signIn(
      `http://localhost:${first}${SAMPLE_ROUTES.aspnetcore.signIn}`,
      user,
      'Passw0rd!',
    );
    const other = await browser.get(`http://localhost:${second}/`);
    assert.match(other.html, new RegExp(`id="signed-in-user">${user}<`));

    assert.ok(await sample.interrupt(), sample.output);
    for (const port of [first, second]) assert.equal(await listening(port), false, port);
  });

  test('npm start with REDIS_URL: two aspnetcore instances, both on the landing page', async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    // The second instance goes on the next port up from its own that no sample uses.
    const [aspnetcore, aspnet, java, python, extra] = (await freeConsecutivePorts(5)).map(String);
    const env = {
      ...(await portsEnv()),
      ...{
        ASPNETCORE_PORT: aspnetcore!,
        ASPNET_PORT: aspnet!,
        JAVA_PORT: java!,
        PYTHON_PORT: python!,
      },
      REDIS_URL: redis.url,
    };
    const start = run('npm start', env);
    await start.waitFor(/Open http:\/\/localhost:\d+/);
    assert.match(start.output, new RegExp(`instance 2\\): http://localhost:${extra}`));
    const landing = (await (await fetch(`http://localhost:${env.LANDING_PORT}/`)).text()).replace(
      /<[^>]+>/g,
      '',
    );
    assert.match(landing, /aspnetcore \(Microsoft\.Identity\.Web\), instance 1 of 2/);
    assert.match(landing, /aspnetcore \(Microsoft\.Identity\.Web\), instance 2 of 2/);
    const summaries = await (await fetch(`http://localhost:${env.LANDING_PORT}/summaries`)).json();
    assert.deepEqual(Object.keys(summaries as object), [
      'aspnetcore-1',
      'aspnetcore-2',
      'aspnet',
      'java',
      'node',
      'python',
    ]);
    assert.ok(await start.interrupt(), start.output);
  });

  test('several instances without REDIS_URL, or a Redis that does not answer, stop the command with one message', async () => {
    const env = await portsEnv();
    const twoWithoutRedis = run('npm run sample:java -- --instances 2', env);
    assert.equal(await twoWithoutRedis.exitCode(), 1);
    assert.match(twoWithoutRedis.output, /2 instances of java: .*set REDIS_URL/);
    const [closed] = await freePorts(1);
    const unreachable = run('npm run sample:java', {
      ...env,
      REDIS_URL: `redis://:do-not-print-this@127.0.0.1:${closed}`,
    });
    assert.equal(await unreachable.exitCode(), 1);
    assert.match(
      unreachable.output,
      /REDIS_URL: no Redis answers at redis:\/\/:\*\*\*@127\.0\.0\.1/,
    );
    assert.doesNotMatch(unreachable.output, /do-not-print-this|at .*\.ts:\d+/);
    assert.equal(await listening(env.JAVA_PORT), false);
  });
});

describe('samples in several terminals', () => {
  test('two samples started at the same moment share one emulator', async () => {
    const env = await portsEnv();
    const aspnetcore = run('npm run sample:aspnetcore', env);
    const python = run('npm run sample:python', env);
    await aspnetcore.waitFor(/aspnetcore \(Microsoft\.Identity\.Web\): http/);
    await python.waitFor(/python \(Flask \+ MSAL Python\): http/);
    const output = aspnetcore.output + python.output;
    assert.equal(output.match(/Started the identity platform emulator/g)?.length, 1, output);
    assert.equal(output.match(/Using the identity platform emulator/g)?.length, 1, output);
    assert.doesNotMatch(output, /EADDRINUSE/);

    // One SSO session across both: the second sign-in needs no password.
    const browser = new Browser();
    const aspnetcoreUrl = `http://localhost:${env.ASPNETCORE_PORT}`;
    const pythonUrl = `http://localhost:${env.PYTHON_PORT}`;
    const user = 'AdeleV@contoso.onmicrosoft.com';
    const first = await browser.signIn(
      aspnetcoreUrl + SAMPLE_ROUTES.aspnetcore.signIn,
      user,
      'Passw0rd!',
    );
    assert.match(first.html, /id="signed-in-user"/);
    assert.match(
      (await browser.signIn(pythonUrl + SAMPLE_ROUTES.python.signIn)).html,
      /id="signed-in-user"/,
    );
  });

  test("the built-in apps' secrets: a key made once (0600) by whichever sample comes first, read by the other", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'emulator-key-'));
    const keyFile = path.join(folder, 'key');
    const env = { ...(await portsEnv()), EMULATOR_KEY_FILE: keyFile };
    const aspnetcore = run('npm run sample:aspnetcore', env);
    const python = run('npm run sample:python', env);
    await aspnetcore.waitFor(/aspnetcore \(Microsoft\.Identity\.Web\): http/);
    await python.waitFor(/python \(Flask \+ MSAL Python\): http/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
    assert.deepEqual(readdirSync(folder), ['key'], 'no draft left behind');

    // One of them redeems its codes at the emulator the other runs: both derived the same secrets.
    const browser = new Browser();
    const first = await browser.signIn(
      `http://localhost:${env.ASPNETCORE_PORT}${SAMPLE_ROUTES.aspnetcore.signIn}`,
      'AdeleV@contoso.onmicrosoft.com',
      'Passw0rd!',
    );
    assert.match(first.html, /id="signed-in-user"/);
    const second = await browser.signIn(
      `http://localhost:${env.PYTHON_PORT}${SAMPLE_ROUTES.python.signIn}`,
    );
    assert.match(second.html, /id="signed-in-user"/);
  });

  test('when the sample that runs the emulator stops, another one says so and takes over', async () => {
    const env = await portsEnv();
    const first = run('npm run sample:aspnetcore', env);
    await first.waitFor(/Started the identity platform emulator/);
    const second = run('npm run sample:python', env);
    await second.waitFor(/Using the identity platform emulator/);
    await second.waitFor(/python \(Flask \+ MSAL Python\): http/);
    // Alex signs in to python and calls Graph before the emulator goes away.
    const python = `http://localhost:${env.PYTHON_PORT}`;
    const alex = new Browser();
    await alex.signIn(
      python + SAMPLE_ROUTES.python.signIn,
      'AlexW@contoso.onmicrosoft.com',
      'Passw0rd!',
    );
    assert.equal((await alex.get(python + SAMPLE_ROUTES.python.api)).status, 200);

    assert.ok(await first.interrupt(), first.output);
    await second.waitFor(/Started the identity platform emulator/, 15_000);
    assert.match(
      second.output,
      /!! The identity platform emulator at http:\/\/127\.0\.0\.1:\d+ stopped answering/,
    );

    // Alex's cached tokens mean nothing to the new emulator (another signing key, no refresh
    // tokens): the sample drops them and sends Alex to sign in, instead of an error page.
    const after = await alex.request(python + SAMPLE_ROUTES.python.api);
    assert.equal(after.status, 302);
    assert.equal(after.headers.get('location'), SAMPLE_ROUTES.python.signIn);
    const again = await alex.signIn(
      python + SAMPLE_ROUTES.python.signIn,
      'AlexW@contoso.onmicrosoft.com',
      'Passw0rd!',
    );
    assert.match(again.html, /id="signed-in-user">AlexW@contoso\.onmicrosoft\.com</);
    assert.equal((await alex.get(python + SAMPLE_ROUTES.python.api)).status, 200);
    assert.ok(await second.interrupt(), second.output);
  });

  test('Ctrl-C while waiting for an emulator that never comes stops at once', async () => {
    const env = await portsEnv();
    // Something holds the emulator's port and never answers.
    const holder = createServer((request) => request.socket.destroy());
    holder.listen(Number(env.EMULATOR_PORT), '127.0.0.1');
    await once(holder, 'listening');
    try {
      const sample = run('npm run sample:java', env);
      await sample.waitFor(/waiting for the emulator another process is starting/);
      const before = Date.now();
      await sample.interrupt();
      assert.ok(Date.now() - before < 5_000, 'stopped within seconds');
      assert.match(sample.output, /^Stopped while starting\.$/m);
    } finally {
      holder.closeAllConnections();
      holder.close();
    }
  });

  test('npm run emulator runs the emulator alone; a second one says the ports are taken', async () => {
    const env = await portsEnv();
    const emulator = run('npm run emulator', env);
    await emulator.waitFor(/Identity platform emulator: http:\/\/127\.0\.0\.1:\d+/);
    const discovery = await fetch(
      `http://127.0.0.1:${env.EMULATOR_PORT}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(discovery.status, 200);

    const again = run('npm run emulator', env);
    assert.equal(await again.exitCode(), 1);
    assert.match(again.output, /already in use: an identity platform emulator already answers at/);

    // A sample started now uses it, and says so.
    const sample = run('npm run sample:java', env);
    await sample.waitFor(/java \(Spring Boot \+ msal4j\): http/);
    assert.match(sample.output, /Using the identity platform emulator/);
    assert.ok(await sample.interrupt(), sample.output);
    assert.ok(await emulator.interrupt(), emulator.output);
  });
});

describe('the comparison and the lesson', () => {
  // Two full runs of the comparison (some 20 s each alone; more with the cluster suites beside it).
  test('npm run compare prints one matrix per browser era and writes nothing; with --write, the page and its chart', {
    timeout: 180_000,
  }, async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'comparison-'));
    const mistyped = run('npm run compare -- --wirte', { COMPARISON_DOCS: folder });
    assert.equal(await mistyped.exitCode(), 2, mistyped.output);
    assert.match(mistyped.output, /unknown argument "--wirte"; the only one is --write/);

    const compare = run('npm run compare', { COMPARISON_DOCS: folder });
    assert.equal(await compare.exitCode(80_000), 0, compare.output);
    const header = /^sign-out +aspnetcore +aspnet +java +node +python +identity-web-today$/gm;
    assert.equal(compare.output.match(header)?.length, 2, compare.output);
    assert.match(compare.output, /Nothing written\. To write .*: npm run compare -- --write\n$/);
    assert.deepEqual(readdirSync(folder), []);

    const write = run('npm run compare -- --write', { COMPARISON_DOCS: folder });
    assert.equal(await write.exitCode(80_000), 0, write.output);
    assert.deepEqual(readdirSync(folder).sort(), ['comparison.md', 'comparison.svg']);
    const page = readFileSync(path.join(folder, 'comparison.md'), 'utf8');
    assert.match(
      page,
      /^\| sign-out \| aspnetcore \| aspnet \| java \| node \| python \| identity-web-today \|$/m,
    );
    assert.match(readFileSync(path.join(folder, 'comparison.svg'), 'utf8'), /^<svg [^>]*viewBox=/);
  });

  test('npm run load runs a bounded load and says what happened', async () => {
    const load = run('npm run load -- --users 2 --rounds 1 --api-calls 1 --flood 20', {});
    assert.equal(await load.exitCode(60_000), 0, load.output);
    assert.match(load.output, /\| errors \| 0 \|/);
    assert.match(load.output, /\| users wrongly signed out \| 0 \|/);
    assert.match(load.output, /\| front-channel \(random sid\) \| 20 \|/);
  });

  test('diff of two sign-out.ts files shows what aspnetcore adds', async () => {
    const diff = run('diff samples/aspnet/sign-out.ts samples/aspnetcore/sign-out.ts', {});
    assert.equal(await diff.exitCode(), 1, 'the files differ');
    assert.match(
      diff.output,
      /^>\s+await sessions\.endBySid\(user\.sid, \{ onlyUser: user\.homeAccountId \}\);$/m,
    );
    assert.match(diff.output, /^> export function frontChannelSignOut\(\{$/m);
    assert.match(diff.output, /^< \/\/ Global sign-out: no handler/m);
  });
});

describe('Entra ID mode', () => {
  const tenantId = '11111111-2222-3333-4444-555555555555';
  const clientSecret = 'do-not-print-this-client-secret';

  test('no emulator starts: the sample goes to the configured instance for discovery', async () => {
    // A closed local port stands in for login.microsoftonline.com, so the test needs no network.
    const [closedPort, emulatorPort] = await freePorts(2);
    const sample = run('npm run sample:aspnetcore', {
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_ID: '66666666-7777-8888-9999-000000000000',
      ENTRA_CLIENT_SECRET: clientSecret,
      SESSION_SECRET: 'do-not-print-this-session-secret-0123456789',
      ENTRA_INSTANCE: `http://127.0.0.1:${closedPort}`,
      EMULATOR_PORT: String(emulatorPort),
    });
    assert.equal(await sample.exitCode(), 1);
    assert.match(
      sample.output,
      new RegExp(
        `discovery document at http://127\\.0\\.0\\.1:${closedPort}/${tenantId}/v2\\.0/\\.well-known/openid-configuration: it refused the connection`,
      ),
    );
    assert.doesNotMatch(sample.output, /emulator/i);
    assert.doesNotMatch(sample.output, /do-not-print/);
  });

  test('npm run emulator says there is no emulator to run when ENTRA_TENANT_ID is set', async () => {
    const emulator = run('npm run emulator', { ENTRA_TENANT_ID: tenantId });
    assert.equal(await emulator.exitCode(), 1);
    assert.match(emulator.output, /ENTRA_TENANT_ID is set: .* there is no emulator to run/);
  });

  test('bad configuration stops the sample at start-up, naming the variables and no secret', async () => {
    const sample = run('npm run sample:aspnetcore', {
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_SECRET: clientSecret,
    });
    assert.equal(await sample.exitCode(), 1);
    assert.match(sample.output, /ENTRA_CLIENT_ID \(or ASPNETCORE_CLIENT_ID\) is required/);
    assert.match(sample.output, /SESSION_SECRET is required/);
    assert.doesNotMatch(sample.output, /do-not-print/);
  });
});
