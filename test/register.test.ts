/**
 * `npm run register` and `npm run unregister`, run as a person runs them, against the emulator's
 * Graph (`npm run emulator` in another terminal): the apps they make are the ones the samples
 * need — a sample signs in with its freshly registered app and is signed out everywhere through
 * its new front-channel logout URL — a second run changes nothing, a run cut off half-way is
 * finished by the next, and every refusal is said plainly, with no secret printed.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseEnv } from 'node:util';
import { allSamples } from '../samples/index.ts';
import { uniqueNameOf } from '../shared/register/application.ts';
import { EnvFile } from '../shared/register/env-file.ts';
import { Browser } from './helpers/browser.ts';
import { Command } from './helpers/command.ts';
import { cacheSummary, freePorts, portsEnv } from './helpers/environment.ts';
import { FaultyProxy } from './helpers/faulty-proxy.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const ADMIN = 'admin@contoso.onmicrosoft.com';
const PASSWORD = 'Passw0rd!';
const SAMPLE_NAMES = allSamples.map(({ registration }) => registration.name);

const running: Command[] = [];
function run(line: string, env: Record<string, string>): Command {
  const command = new Command(line, env);
  running.push(command);
  return command;
}

/** A command that ends: its exit code and what it printed. */
async function finished(line: string, env: Record<string, string>) {
  const command = run(line, env);
  const code = await command.exitCode(60_000);
  return { code, output: command.output };
}

let env: Awaited<ReturnType<typeof portsEnv>>;
const folder = mkdtempSync(path.join(tmpdir(), 'register-'));
const envFile = path.join(folder, 'samples.env');
const readEnvFile = () => parseEnv(readFileSync(envFile, 'utf8')) as Record<string, string>;

before(async () => {
  env = await portsEnv();
  const emulator = run('npm run emulator', env);
  await emulator.waitFor(/Identity platform emulator: http:\/\/127\.0\.0\.1:\d+/);
});
after(() => {
  for (const command of running.splice(0)) command.kill();
});

/** The administrator's token, as the command gets it: the Azure CLI's password grant. */
async function adminToken(user = ADMIN): Promise<string> {
  const response = await fetch(
    `http://127.0.0.1:${env.EMULATOR_PORT}/${TENANT}/oauth2/v2.0/token`,
    {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
        username: user,
        password: PASSWORD,
        scope: 'https://graph.microsoft.com/.default',
      }),
    },
  );
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The fields of Graph's `application` the tests read. */
interface GraphApplication {
  appId: string;
  displayName: string;
  web: { redirectUris: string[]; logoutUrl: string | null };
  optionalClaims: { idToken: Array<{ name: string }> };
  requiredResourceAccess: Array<{ resourceAccess: unknown[] }>;
  passwordCredentials: Array<{ hint: string }>;
}

/** An application as the emulator's Graph has it, found by the uniqueName the command gives it. */
async function application(name: string): Promise<GraphApplication | undefined> {
  const response = await fetch(
    `http://127.0.0.1:${env.GRAPH_PORT}/v1.0/applications(uniqueName='msal-single-sign-out-koa-${name}')`,
    { headers: { authorization: `Bearer ${await adminToken()}` } },
  );
  return response.status === 404 ? undefined : ((await response.json()) as GraphApplication);
}

/** The application, which must be there. */
async function registered(name: string): Promise<GraphApplication> {
  return (await application(name)) ?? assert.fail(`${name}: no application`);
}

function assertNoSecretIn(output: string, values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (/SECRET/.test(name)) assert.ok(!output.includes(value), `${name} is not printed`);
  }
}

describe('npm run register -- --emulator', () => {
  test('registers one app per sample, writes .env (mode 0600); a sample signs in with it and is signed out everywhere through its new logout URL; a second run changes nothing; unregister removes them and the app no longer signs in', async () => {
    const first = await finished(`npm run register -- --emulator --env-file ${envFile}`, env);
    assert.equal(first.code, 0, first.output);
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const written = readEnvFile();
    assert.equal(written.ENTRA_TENANT_ID, TENANT);
    assert.equal(written.ENTRA_INSTANCE, `http://127.0.0.1:${env.EMULATOR_PORT}`);
    assert.equal(written.GRAPH_URL, `http://127.0.0.1:${env.GRAPH_PORT}`);
    assert.ok((written.SESSION_SECRET ?? '').length >= 32);
    for (const { registration } of allSamples) {
      const prefix = registration.name.toUpperCase();
      const app = await registered(registration.name);
      assert.equal(written[`${prefix}_CLIENT_ID`], app.appId, registration.name);
      assert.notEqual(app.appId, registration.emulatorClientId, 'a new app, not the built-in one');
      assert.equal(app.displayName, registration.displayName);
      assert.equal(app.passwordCredentials.length, 1);
      assert.ok(
        written[`${prefix}_CLIENT_SECRET`]?.startsWith(app.passwordCredentials[0]?.hint ?? '-'),
      );
      const port = env[`${prefix}_PORT` as keyof typeof env];
      assert.ok(
        app.web.redirectUris.includes(`http://localhost:${port}${registration.redirectPath}`),
      );
      assert.equal(
        app.web.logoutUrl,
        registration.frontChannelLogoutPath
          ? `http://localhost:${port}${registration.frontChannelLogoutPath}`
          : null,
      );
      assert.deepEqual(
        app.optionalClaims.idToken.map((claim: { name: string }) => claim.name),
        registration.optionalClaims,
      );
    }
    assertNoSecretIn(first.output, written);
    assert.match(
      first.output,
      /aspnetcore: application "aspnetcore \(Microsoft\.Identity\.Web\)" created/,
    );

    // Twice: nothing new, nothing changed, the secrets kept.
    const before = readFileSync(envFile, 'utf8');
    const second = await finished(`npm run register -- --emulator --env-file ${envFile}`, env);
    assert.equal(second.code, 0, second.output);
    assert.equal(readFileSync(envFile, 'utf8'), before);
    assert.equal(second.output.match(/works; kept/g)?.length, SAMPLE_NAMES.length);
    assert.equal(
      second.output.match(/found, as registration\.ts declares it/g)?.length,
      SAMPLE_NAMES.length,
      'no application changed',
    );
    assert.doesNotMatch(second.output, /created/);
    for (const name of SAMPLE_NAMES) {
      assert.equal((await registered(name)).passwordCredentials.length, 1, name);
    }

    // aspnetcore runs against the emulator as against a tenant, with the app just registered.
    const sampleEnv = { ...env, ENV_FILE: envFile, CACHE_INSPECTOR: 'on' };
    const sample = run('npm run sample:aspnetcore', sampleEnv);
    await sample.waitFor(/aspnetcore \(Microsoft\.Identity\.Web\): http/);
    assert.doesNotMatch(sample.output, /Started the identity platform emulator/);
    const url = `http://localhost:${env.ASPNETCORE_PORT}`;
    const browser = new Browser();
    const routes = SAMPLE_ROUTES.aspnetcore;
    const signedIn = await browser.signIn(
      url + routes.signIn,
      'AdeleV@contoso.onmicrosoft.com',
      PASSWORD,
    );
    assert.equal(new URL(signedIn.url).origin, url);
    const profile = await browser.get(url + routes.api);
    assert.match(profile.html, /Adele Vance/, 'Graph answered with the permission registered');

    // Signed out elsewhere: the identity platform's sign-out page loads the new logout URL.
    await browser.get(`http://127.0.0.1:${env.EMULATOR_PORT}/${TENANT}/oauth2/v2.0/logout`);
    const frame = browser.frontChannelRequests[0] ?? assert.fail('no front-channel frame');
    assert.ok(
      frame?.url.startsWith(`${url}/signout-oidc?sid=`),
      JSON.stringify(browser.frontChannelRequests),
    );
    assert.equal(frame.status, 200);
    const after = await browser.request(url + routes.api);
    assert.equal(after.status, 302, 'signed out: the profile asks for a sign-in');
    assert.deepEqual((await cacheSummary(url)).accounts, [], "the user's tokens are gone");

    // Unregistered: gone from the tenant and from the file; the app no longer signs in.
    const removed = await finished(`npm run unregister -- --emulator --env-file ${envFile}`, env);
    assert.equal(removed.code, 0, removed.output);
    for (const name of SAMPLE_NAMES) assert.equal(await application(name), undefined, name);
    assert.equal(
      removed.output.match(/and deleted from the deleted items: its uniqueName is free again/g)
        ?.length,
      SAMPLE_NAMES.length,
    );
    const left = readEnvFile();
    for (const name of SAMPLE_NAMES)
      assert.equal(left[`${name.toUpperCase()}_CLIENT_ID`], undefined);
    assert.equal(left.ENTRA_TENANT_ID, undefined);
    const stranger = new Browser();
    const refused = await stranger.get(url + routes.signIn);
    assert.match(refused.html, /AADSTS700016/);
  });

  test("--dry-run prints the requests in Graph's documented shapes, masks the token, sends nothing and writes nothing", async () => {
    const file = path.join(folder, 'dry.env');
    const dry = await finished(`npm run register -- --emulator --dry-run --env-file ${file}`, env);
    assert.equal(dry.code, 0, dry.output);
    assert.equal(existsSync(file), false);
    assert.match(dry.output, /Authorization: Bearer \*\*\*/);
    const requests = parseRequests(dry.output);
    for (const { registration } of allSamples) {
      const key = `/v1.0/applications(uniqueName='${uniqueNameOf(registration)}')`;
      assert.ok(
        requests.some((r) => r.method === 'GET' && r.target.endsWith(key)),
        'found first',
      );
      const upsert = requests.find(
        (r) =>
          r.method === 'PATCH' &&
          r.target.endsWith(`/v1.0/applications(uniqueName='${uniqueNameOf(registration)}')`),
      );
      assert.ok(upsert, registration.name);
      assert.equal(upsert.method, 'PATCH');
      assert.ok(upsert.headers.includes('Prefer: create-if-missing'));
      // https://learn.microsoft.com/graph/api/resources/application: the properties sent.
      assert.deepEqual(Object.keys(upsert.body).sort(), [
        'displayName',
        'notes',
        'optionalClaims',
        'requiredResourceAccess',
        'signInAudience',
        'web',
      ]);
      assert.deepEqual(Object.keys(upsert.body.web).sort(), [
        'implicitGrantSettings',
        'logoutUrl',
        'redirectUris',
      ]);
      assert.equal(upsert.body.signInAudience, 'AzureADMyOrg');
      for (const claim of upsert.body.optionalClaims.idToken) {
        assert.deepEqual(Object.keys(claim).sort(), [
          'additionalProperties',
          'essential',
          'name',
          'source',
        ]);
      }
      const [graphAccess] = upsert.body.requiredResourceAccess;
      assert.equal(graphAccess.resourceAppId, '00000003-0000-0000-c000-000000000000');
      for (const access of graphAccess.resourceAccess) {
        assert.equal(access.type, 'Scope');
        assert.match(access.id, /^[0-9a-f-]{36}$/);
      }
    }
    const principals = requests.filter((r) =>
      /\/v1\.0\/servicePrincipals\(appId='\{appId\}'\)$/.test(r.target),
    );
    assert.equal(principals.length, SAMPLE_NAMES.length);
    assert.ok(
      principals.every(
        (r) => r.method === 'PATCH' && r.headers.includes('Prefer: create-if-missing'),
      ),
    );
    const passwords = requests.filter((r) =>
      r.target.endsWith('/v1.0/applications/{applicationId}/addPassword'),
    );
    assert.equal(passwords.length, SAMPLE_NAMES.length);
    for (const { method, body } of passwords) {
      assert.equal(method, 'POST');
      assert.deepEqual(Object.keys(body.passwordCredential).sort(), ['displayName', 'endDateTime']);
    }
  });

  test('a user without the permission to register apps is told which permission and which role; nothing is written', async () => {
    const file = path.join(folder, 'adele.env');
    const refused = await finished(
      `npm run register -- --emulator --user AdeleV@contoso.onmicrosoft.com --env-file ${file}`,
      env,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.output, /403 Authorization_RequestDenied/);
    assert.match(refused.output, /Application\.ReadWrite\.All/);
    assert.match(refused.output, /Application Developer/);
    assert.match(refused.output, /Cloud Application Administrator/);
    assert.equal(existsSync(file), false);
  });

  test('a field the tenant refuses is said by name, and the rest is registered', async () => {
    const file = path.join(folder, 'refused.env');
    const result = await finished(`npm run register -- --emulator --env-file ${file}`, {
      ...env,
      // Plain http away from localhost: no tenant takes it as a redirect or logout URL.
      JAVA_BASE_URL: 'http://java.contoso.test',
    });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      /!! web\.redirectUris refused by the tenant \(and the logout URL not set with them\): Invalid value specified for property 'web\.redirectUris'/,
    );
    assert.doesNotMatch(result.output, /redirect URI: http:\/\/java\.contoso\.test/);
    assert.match(result.output, /1 sample\(s\) not registered whole/);
    const java = await registered('java');
    assert.deepEqual(java.web.redirectUris, []);
    assert.equal(
      java.requiredResourceAccess[0]?.resourceAccess.length,
      1,
      'its permission set all the same',
    );
    const written = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
    assert.equal(written.JAVA_CLIENT_ID, java.appId, 'and its secret written');
    assertNoSecretIn(result.output, written);
    await finished(`npm run unregister -- --emulator --env-file ${file}`, env);
  });

  test('a network failure half-way: the run says so; the next finishes the job, with nothing twice and no secret lost', async () => {
    const file = path.join(folder, 'cut.env');
    const [proxyPort] = await freePorts(1);
    const proxy = new FaultyProxy(
      proxyPort as number,
      `http://127.0.0.1:${env.GRAPH_PORT}`,
      '127.0.0.1',
    );
    await proxy.start();
    try {
      const throughProxy = { ...env, GRAPH_PORT: String(proxyPort) };
      // Seven requests pass (aspnetcore's four: find, create, service principal, secret; aspnet's
      // first three), then the network fails: aspnet's application has no secret yet.
      proxy.next('forward', 7);
      proxy.next('reset', 100);
      const cut = await finished(`npm run register -- --emulator --env-file ${file}`, throughProxy);
      assert.equal(cut.code, 1, cut.output);
      assert.match(cut.output, /closed the connection before answering/);
      assert.match(cut.output, /run the command again/);
      const afterCut = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
      assert.ok(
        afterCut.ASPNETCORE_CLIENT_SECRET,
        "aspnetcore's secret was written as soon as it was made",
      );

      // The network is back.
      proxy.clearFaults();
      const again = await finished(
        `npm run register -- --emulator --env-file ${file}`,
        throughProxy,
      );
      assert.equal(again.code, 0, again.output);
      const written = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
      assert.equal(written.ASPNETCORE_CLIENT_SECRET, afterCut.ASPNETCORE_CLIENT_SECRET, 'kept');
      for (const name of SAMPLE_NAMES) {
        const app = await registered(name);
        assert.equal(written[`${name.toUpperCase()}_CLIENT_ID`], app.appId, name);
        assert.equal(app.passwordCredentials.length, 1, `${name}: one secret`);
      }
    } finally {
      proxy.clearFaults();
      await finished(`npm run unregister -- --emulator --env-file ${file}`, {
        ...env,
        GRAPH_PORT: String(proxyPort),
      });
      await proxy.stop();
    }
  });

  test('an existing env file keeps its other lines; a secret it lost is replaced by a new one, said as such', async () => {
    const file = path.join(folder, 'kept.env');
    writeFileSync(file, '# my settings\nCACHE_INSPECTOR=on\n', { mode: 0o644 });
    assert.equal(
      (await finished(`npm run register -- --emulator --env-file ${file}`, env)).code,
      0,
    );
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^# my settings\nCACHE_INSPECTOR=on\n/);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'secrets in it now: mode 0600');
    const lost = text.replace(/^PYTHON_CLIENT_SECRET=.*\n/m, '');
    writeFileSync(file, lost);
    const again = await finished(`npm run register -- --emulator --env-file ${file}`, env);
    assert.equal(again.code, 0, again.output);
    assert.match(
      again.output,
      /python:[\s\S]*client secret: a new one \(the env file had none\)[\s\S]*replaced: 1 earlier secret/,
    );
    assertNoSecretIn(again.output, parseEnv(readFileSync(file, 'utf8')) as Record<string, string>);
    const python = await registered('python');
    assert.equal(python.passwordCredentials.length, 1, 'the lost one removed');
    await finished(`npm run unregister -- --emulator --env-file ${file}`, env);
  });
});

describe('npm run register -- --emulator, once registered', () => {
  const file = path.join(folder, 'moved.env');
  before(async () => {
    assert.equal(
      (await finished(`npm run register -- --emulator --env-file ${file}`, env)).code,
      0,
    );
  });
  after(async () => {
    await finished(`npm run unregister -- --emulator --env-file ${file}`, env);
  });

  test('a file moved elsewhere keeps its secrets: they are checked with the identity platform, not by name', async () => {
    const moved = path.join(mkdtempSync(path.join(tmpdir(), 'register-moved-')), '.env');
    writeFileSync(moved, readFileSync(file));
    const again = await finished(`npm run register -- --emulator --env-file ${moved}`, env);
    assert.equal(again.code, 0, again.output);
    assert.equal(again.output.match(/works; kept/g)?.length, SAMPLE_NAMES.length);
    assert.equal(readFileSync(moved, 'utf8'), readFileSync(file, 'utf8'));
  });

  test('a secret the identity platform refuses is replaced; one made minutes ago, with the right first characters, is given time', async () => {
    const text = readFileSync(file, 'utf8');
    const secret = /^NODE_CLIENT_SECRET=(.*)$/m.exec(text)?.[1] ?? assert.fail('no secret');
    // Its first characters are Graph's hint of the secret made minutes ago: Entra may not take a
    // new secret at once, so it is kept, not replaced under a sample that may use it.
    const young = `${secret.slice(0, 3)}${'x'.repeat(secret.length - 3)}`;
    writeFileSync(file, text.replace(secret, young));
    const patient = await finished(`npm run register -- --emulator --env-file ${file}`, env);
    assert.equal(patient.code, 0, patient.output);
    assert.match(
      patient.output,
      /node:[\s\S]*client secret: the one in .* was made minutes ago and is not taken yet; kept/,
    );
    // Another value altogether: refused, replaced.
    const wrong = `zz${'y'.repeat(secret.length - 2)}`;
    writeFileSync(file, readFileSync(file, 'utf8').replace(young, wrong));
    const again = await finished(`npm run register -- --emulator --env-file ${file}`, env);
    assert.equal(again.code, 0, again.output);
    assert.match(
      again.output,
      /node:[\s\S]*client secret: a new one \(the identity platform refused the one in the env file\)/,
    );
    assert.equal((await registered('node')).passwordCredentials.length, 1);
    assert.equal(again.output.match(/works; kept/g)?.length, SAMPLE_NAMES.length - 1);
  });

  test("a sample's URL that changed is set again, and what it had is said", async () => {
    const moved = { ...env, ASPNETCORE_BASE_URL: 'https://aspnetcore.contoso.test' };
    const again = await finished(`npm run register -- --emulator --env-file ${file}`, moved);
    assert.equal(again.code, 0, again.output);
    assert.match(
      again.output,
      /aspnetcore: application .* found \(client id [0-9a-f-]+\); set again: web/,
    );
    assert.match(
      again.output,
      new RegExp(`it had: redirect URIs http://localhost:${env.ASPNETCORE_PORT}/signin-oidc`),
    );
    assert.deepEqual(
      (await registered('aspnetcore')).web.logoutUrl,
      'https://aspnetcore.contoso.test/signout-oidc',
    );
    assert.equal(
      (await finished(`npm run register -- --emulator --env-file ${file}`, env)).code,
      0,
    );
  });

  test('a run against another tenant than the file names is refused, and changes nothing', async () => {
    const before = readFileSync(file, 'utf8');
    const elsewhere = { ...env, GRAPH_ACCESS_TOKEN: await adminToken() };
    for (const command of ['npm run register', 'npm run unregister']) {
      const result = await finished(`${command} -- --env-file ${file}`, elsewhere);
      assert.equal(result.code, 1, result.output);
      assert.match(
        result.output,
        /holds the registrations of another tenant \(ENTRA_INSTANCE=http:\/\/127\.0\.0\.1:\d+, GRAPH_URL=/,
      );
      assert.equal(readFileSync(file, 'utf8'), before);
    }
    assert.ok(await application('aspnetcore'), 'the applications are untouched');
  });
});

describe('npm run register -- --emulator, when things go wrong', () => {
  /** A proxy in front of the emulator's Graph, and the environment that sends the command through it. */
  async function graphProxy() {
    const [port] = await freePorts(1);
    const proxy = new FaultyProxy(
      port as number,
      `http://127.0.0.1:${env.GRAPH_PORT}`,
      '127.0.0.1',
    );
    await proxy.start();
    return { proxy, env: { ...env, GRAPH_PORT: String(port) } };
  }

  test('Graph does not know a new application yet (404 on its service principal): tried again, and done', async () => {
    const file = path.join(folder, 'slow.env');
    const { proxy, env: slow } = await graphProxy();
    try {
      // aspnetcore: found nowhere, created; then its service principal, refused once.
      proxy.next('forward', 2);
      proxy.next({
        status: 404,
        body: { error: { code: 'Request_ResourceNotFound', message: 'Resource does not exist.' } },
      });
      const result = await finished(`npm run register -- --emulator --env-file ${file}`, slow);
      assert.equal(result.code, 0, result.output);
      assert.match(
        result.output,
        /aspnetcore: application [^\n]* created[\s\S]*service principal created/,
      );
    } finally {
      proxy.clearFaults();
      await finished(`npm run unregister -- --emulator --env-file ${file}`, slow);
      await proxy.stop();
    }
  });

  test('an unregister cut off half-way leaves in the file only what is still registered; the next finishes', async () => {
    const file = path.join(folder, 'half.env');
    const { proxy, env: cut } = await graphProxy();
    try {
      assert.equal(
        (await finished(`npm run register -- --emulator --env-file ${file}`, cut)).code,
        0,
      );
      // aspnetcore's four requests (find, service principal, application, deleted item), then the network fails.
      proxy.next('forward', 4);
      proxy.next('reset', 100);
      const half = await finished(`npm run unregister -- --emulator --env-file ${file}`, cut);
      assert.equal(half.code, 1, half.output);
      const left = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
      assert.equal(
        left.ASPNETCORE_CLIENT_ID,
        undefined,
        "aspnetcore's application is gone, and its lines",
      );
      assert.ok(left.ASPNET_CLIENT_ID, "aspnet's is still registered, and in the file");
      assert.ok(left.ENTRA_TENANT_ID);
      proxy.clearFaults();
      const rest = await finished(`npm run unregister -- --emulator --env-file ${file}`, cut);
      assert.equal(rest.code, 0, rest.output);
      const none = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
      assert.deepEqual(
        Object.keys(none).filter((name) => name !== 'SESSION_SECRET'),
        [],
      );
      for (const name of SAMPLE_NAMES) assert.equal(await application(name), undefined, name);
    } finally {
      proxy.clearFaults();
      await proxy.stop();
    }
  });

  test('an env file of another tenant (its id), or naming an application the command did not make, is left as it is', async () => {
    const other = path.join(folder, 'other-tenant.env');
    const text = `ENTRA_TENANT_ID=0b7a5c1e-4d2f-4a8b-9c3d-6e5f4a3b2c1d\nASPNETCORE_CLIENT_ID=x\n`;
    writeFileSync(other, text);
    const refused = await finished(`npm run register -- --emulator --env-file ${other}`, env);
    assert.equal(refused.code, 1, refused.output);
    assert.match(
      refused.output,
      /holds the registrations of another tenant \(ENTRA_TENANT_ID=0b7a5c1e/,
    );
    assert.equal(readFileSync(other, 'utf8'), text);

    // Someone's own application, its client id and secret entered by hand.
    const own = await fetch(
      `http://127.0.0.1:${env.GRAPH_PORT}/v1.0/applications(uniqueName='someone-elses-app')`,
      {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${await adminToken()}`,
          'content-type': 'application/json',
          prefer: 'create-if-missing',
        },
        body: JSON.stringify({ displayName: 'My own app' }),
      },
    );
    assert.equal(own.status, 201);
    const { appId, id } = (await own.json()) as { appId: string; id: string };
    const mine = path.join(folder, 'mine.env');
    const handWritten = `JAVA_CLIENT_ID=${appId}\nJAVA_CLIENT_SECRET=my-own-secret-entered-by-hand\n`;
    writeFileSync(mine, handWritten);
    const result = await finished(`npm run register -- --emulator --env-file ${mine}`, env);
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      /java: JAVA_CLIENT_ID=[0-9a-f-]+ in the env file is an application npm run register did not make \("My own app"\)/,
    );
    assert.equal(
      parseEnv(readFileSync(mine, 'utf8')).JAVA_CLIENT_SECRET,
      'my-own-secret-entered-by-hand',
    );
    await finished(`npm run unregister -- --emulator --env-file ${mine}`, env);
    await fetch(`http://127.0.0.1:${env.GRAPH_PORT}/v1.0/applications/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await adminToken()}` },
    });
  });

  test('plain http to another machine is refused before any request: the token and the secrets would cross it', async () => {
    const result = await finished('npm run register -- --dry-run', {
      ENTRA_INSTANCE: 'http://10.1.2.3:4000',
      GRAPH_URL: 'http://10.1.2.3:4001',
    });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /ENTRA_INSTANCE must be https \(http only on this machine/);
    assert.doesNotMatch(result.output, /PATCH/);
  });

  test('npm run unregister -- --dry-run shows the requests that remove a registration', async () => {
    const dry = await finished('npm run unregister -- --emulator --dry-run', env);
    assert.equal(dry.code, 0, dry.output);
    const requests = parseRequests(dry.output);
    for (const { registration } of allSamples) {
      assert.ok(
        requests.some(
          (r) =>
            r.method === 'GET' && r.target.endsWith(`(uniqueName='${uniqueNameOf(registration)}')`),
        ),
      );
    }
    assert.equal(
      requests.filter(
        (r) => r.method === 'DELETE' && /\/applications\/\{applicationId\}$/.test(r.target),
      ).length,
      SAMPLE_NAMES.length,
    );
    assert.equal(
      requests.filter(
        (r) =>
          r.method === 'DELETE' && /\/directory\/deletedItems\/\{applicationId\}$/.test(r.target),
      ).length,
      SAMPLE_NAMES.length,
    );
  });
});

describe('npm run register against Entra ID', () => {
  test('--dry-run needs no token and names Microsoft Graph', async () => {
    const dry = await finished('npm run register -- --dry-run', {});
    assert.equal(dry.code, 0, dry.output);
    assert.match(
      dry.output,
      /PATCH https:\/\/graph\.microsoft\.com\/v1\.0\/applications\(uniqueName='msal-single-sign-out-koa-aspnetcore'\)/,
    );
  });

  test('without the Azure CLI: says how to sign in, or to pass a token', async () => {
    const file = path.join(folder, 'no-cli.env');
    // This machine's PATH, without any folder that holds an `az`.
    const PATH = (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((folder) => !existsSync(path.join(folder, 'az')))
      .join(path.delimiter);
    const result = await finished(`npm run register -- --env-file ${file}`, { PATH });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /Azure CLI could not be found/);
    assert.match(result.output, /az login/);
    assert.match(result.output, /GRAPH_ACCESS_TOKEN/);
    assert.equal(existsSync(file), false);
  });
});

/** The requests a dry run printed: method, URL, headers, JSON body. */
function parseRequests(output: string) {
  const blocks = output.split(/\n(?=(?:GET|POST|PATCH|DELETE) )/).slice(1);
  return blocks.map((block) => {
    const [head = '', json] = block.split('\n\n');
    const [requestLine = '', ...headers] = head.split('\n');
    const [method = '', target = ''] = requestLine.split(' ');
    const body = json?.startsWith('{')
      ? JSON.parse(json.slice(0, json.indexOf('\n}') + 2))
      : undefined;
    return { method, target, headers, body };
  });
}

describe('the env file', () => {
  test('a value over several lines, an export, a symbolic link: kept as they are, the link followed', () => {
    const real = path.join(folder, 'real.env');
    const link = path.join(folder, 'link.env');
    writeFileSync(
      real,
      'KEY="-----BEGIN-----\nNODE_CLIENT_ID=inside the value\n-----END-----"\nexport NODE_CLIENT_ID=old\n',
    );
    symlinkSync(real, link);
    const file = EnvFile.read(link);
    file.set('NODE_CLIENT_ID', 'new');
    file.save();
    assert.equal(
      readFileSync(real, 'utf8'),
      'KEY="-----BEGIN-----\nNODE_CLIENT_ID=inside the value\n-----END-----"\nexport NODE_CLIENT_ID=new\n',
    );
    assert.equal(lstatSync(link).isSymbolicLink(), true, 'still a link to the file');
    assert.equal(readFileSync(link, 'utf8'), readFileSync(real, 'utf8'));
    assert.equal(
      parseEnv(readFileSync(real, 'utf8')).KEY,
      '-----BEGIN-----\nNODE_CLIENT_ID=inside the value\n-----END-----',
    );
    file.remove('NODE_CLIENT_ID');
    file.save();
    assert.equal(
      readFileSync(real, 'utf8'),
      'KEY="-----BEGIN-----\nNODE_CLIENT_ID=inside the value\n-----END-----"\n',
    );
  });
});
