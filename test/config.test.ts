import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { allSamples, samples } from '../samples/index.ts';
import { ConfigurationError, type Environment, loadSettings } from '../shared/config/settings.ts';
import { instancesArgument } from '../shared/run/command-line.ts';
import { emulatorApps, emulatorOptions } from '../shared/run/emulator-apps.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const tenantId = '11111111-2222-3333-4444-555555555555';
const clientId = '66666666-7777-8888-9999-000000000000';
const clientSecret = 'do-not-print-this-client-secret';
const sessionSecret = 'do-not-print-this-session-secret-0123456789';
const registrations = allSamples.map((sample) => sample.registration);

/** aspnetcore's settings alone, as `npm run sample:aspnetcore` reads them. */
const aspnetcore = (env: Environment) => loadSettings([samples.aspnetcore.registration], env);

function problemsOf(
  env: Environment,
  read: () => unknown = () => loadSettings(registrations, env),
): string[] {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof ConfigurationError);
    return error.problems;
  }
  assert.fail('expected a ConfigurationError');
}

function appsFile(apps: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'apps-')), 'apps.json');
  writeFileSync(file, JSON.stringify(apps));
  return file;
}

describe('configuration', () => {
  test('defaults to emulator mode, with aspnetcore on port 3001', () => {
    const settings = aspnetcore({});
    const [sample] = settings.samples;
    assert.equal(settings.identity.mode, 'emulator');
    assert.equal(sample?.baseUrl, 'http://localhost:3001');
    assert.equal(
      settings.identity.authority,
      `https://127.0.0.1:4000/${settings.emulator!.tenantId}`,
    );
    assert.equal(settings.identity.graphUrl, 'http://127.0.0.1:4001');
    assert.equal(sample?.cacheInspector, true);
  });

  test("the wiring registers each sample's app at the emulator, at the sample's URL", () => {
    const settings = loadSettings(registrations, { ASPNETCORE_PORT: '5001' }, { run: [] });
    assert.deepEqual(settings.samples, [], 'none to run, all registered');
    const apps = emulatorApps(settings.emulator!);
    assert.deepEqual(
      apps.map((app) => app.displayName),
      registrations.map((registration) => registration.displayName),
    );
    const [aspnetcoreApp, aspnetApp] = apps;
    const { aspnetcore, aspnet } = SAMPLE_ROUTES;
    assert.deepEqual(aspnetcoreApp?.redirectUris, [
      `http://localhost:5001${aspnetcore.redirect}`,
      `http://localhost:5001${aspnetcore.postLogout}`,
    ]);
    assert.equal(
      aspnetcoreApp?.frontChannelLogoutUrl,
      `http://localhost:5001${aspnetcore.frontChannel}`,
    );
    // aspnet's redirect URI and post-logout redirect URI are one: registered once.
    assert.equal(aspnet.postLogout, aspnet.redirect);
    assert.deepEqual(aspnetApp?.redirectUris, [`http://localhost:3002${aspnet.redirect}`]);
    assert.equal(aspnetApp?.frontChannelLogoutUrl, undefined);
    // Its API permissions are the Graph scopes the sample asks for: all it can be granted.
    assert.deepEqual(
      apps.map((app) => app.apiPermissions),
      registrations.map((registration) => registration.scopes),
    );
  });

  test("the built-in apps' secrets are derived from the checkout's key file (EMULATOR_KEY_FILE), the same in every process", () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'emulator-key-'));
    const keyFile = path.join(folder, 'key');
    const secrets = () => {
      const settings = loadSettings(registrations, { EMULATOR_KEY_FILE: keyFile });
      const apps = emulatorApps(settings.emulator!).map((app) => app.clientSecret);
      // Each sample runs with the secret its app is registered with.
      assert.deepEqual(
        settings.samples.map((sample) => sample.clientSecret),
        apps,
      );
      return apps;
    };
    const first = secrets();
    assert.equal(new Set(first).size, registrations.length, 'one secret per app');
    assert.ok(first.every((secret) => secret.length >= 40));
    const key = readFileSync(keyFile, 'utf8');
    assert.deepEqual(secrets(), first, 'the same file, the same secrets');
    assert.equal(readFileSync(keyFile, 'utf8'), key, 'read, not made again');

    // A file that holds no key is a problem, named without its content; so is one out of reach.
    writeFileSync(keyFile, 'do-not-print-this-key');
    const malformed = problemsOf({ EMULATOR_KEY_FILE: keyFile }).join('\n');
    assert.match(
      malformed,
      /^EMULATOR_KEY_FILE: cannot read or make the emulator's key in ".+" \(it holds no key made by this project; delete it, and a new one is made\)$/,
    );
    assert.doesNotMatch(malformed, /do-not-print/);
    const missingFolder = path.join(folder, 'no-such-folder', 'key');
    assert.match(
      problemsOf({ EMULATOR_KEY_FILE: missingFolder }).join('\n'),
      /EMULATOR_KEY_FILE: .*\(ENOENT\)/,
    );

    // A key file that is a link, another user's, or open to others is refused, its key not printed.
    writeFileSync(keyFile, key);
    const problem = (file: string) => problemsOf({ EMULATOR_KEY_FILE: file }).join('\n');
    const refused = (file: string, reason: RegExp) => {
      const text = problem(file);
      assert.match(text, /^EMULATOR_KEY_FILE: cannot read or make the emulator's key in "/);
      assert.match(text, reason);
      assert.ok(!text.includes(key.trim()), 'the key is never printed');
    };
    chmodSync(keyFile, 0o644);
    refused(keyFile, /\(others than its owner may read or write it \(mode 0644\); .*chmod 600/);
    chmodSync(keyFile, 0o620);
    refused(keyFile, /\(mode 0620\)/);
    chmodSync(keyFile, 0o600);
    const link = path.join(folder, 'link');
    symlinkSync(keyFile, link);
    refused(link, /\(it is a symbolic link; /);
    if (process.getuid?.() === 0) {
      chownSync(keyFile, 4242, 4242);
      refused(keyFile, /\(it belongs to another user \(uid 4242\); delete it/);
      chownSync(keyFile, 0, 0);
    }
    assert.deepEqual(secrets(), first, 'its own file again: the same secrets');

    // Entra ID mode: the secrets are ENTRA_CLIENT_SECRET's, and no key is read or made.
    const entraKeyFile = path.join(folder, 'entra-key');
    const entra = loadSettings(registrations, {
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_ID: clientId,
      ENTRA_CLIENT_SECRET: clientSecret,
      SESSION_SECRET: sessionSecret,
      EMULATOR_KEY_FILE: entraKeyFile,
    });
    assert.ok(entra.samples.every((sample) => sample.clientSecret === clientSecret));
    assert.equal(existsSync(entraKeyFile), false);
  });

  test('ENTRA_TENANT_ID selects Entra ID, with Microsoft Graph and no inspector', () => {
    const settings = aspnetcore({
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_ID: clientId,
      ENTRA_CLIENT_SECRET: clientSecret,
      SESSION_SECRET: sessionSecret,
    });
    assert.equal(settings.identity.mode, 'entra');
    assert.equal(settings.emulator, undefined);
    assert.equal(settings.identity.authority, `https://login.microsoftonline.com/${tenantId}`);
    assert.equal(settings.identity.graphUrl, 'https://graph.microsoft.com');
    // Said if the discovery document cannot be had (test/core/msal/identity-provider.test.ts).
    assert.equal(settings.identity.discoveryHint, 'is ENTRA_TENANT_ID right?');
    assert.equal(settings.samples[0]?.clientId, clientId);
    assert.equal(settings.samples[0]?.cacheInspector, false);
  });

  test('ENTRA_INSTANCE and GRAPH_URL in plain http on this machine only (the emulator as a tenant)', () => {
    const entra = {
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_ID: clientId,
      ENTRA_CLIENT_SECRET: clientSecret,
      SESSION_SECRET: sessionSecret,
    };
    const local = aspnetcore({
      ...entra,
      ENTRA_INSTANCE: 'http://127.0.0.1:4000',
      GRAPH_URL: 'http://localhost:4001',
    });
    // msal takes an https authority only: the instance's, as an identifier.
    assert.equal(local.identity.authority, `https://127.0.0.1:4000/${tenantId}`);
    assert.equal(
      local.identity.discoveryUrl,
      `http://127.0.0.1:4000/${tenantId}/v2.0/.well-known/openid-configuration`,
    );
    assert.deepEqual(
      problemsOf({}, () =>
        aspnetcore({
          ...entra,
          ENTRA_INSTANCE: 'http://login.contoso.test',
          GRAPH_URL: 'http://graph.contoso.test',
        }),
      ),
      [
        'ENTRA_INSTANCE must be https (http only on this machine: localhost, 127.0.0.1 or [::1]), not http://login.contoso.test',
        'GRAPH_URL must be https (http only on this machine: localhost, 127.0.0.1 or [::1]), not http://graph.contoso.test',
      ],
    );
  });

  test('per-sample registration settings override the shared ones', () => {
    const own = '12345678-1234-1234-1234-123456789abc';
    const settings = loadSettings(registrations, {
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_ID: clientId,
      ENTRA_CLIENT_SECRET: clientSecret,
      ASPNETCORE_CLIENT_ID: own,
      ASPNETCORE_CLIENT_SECRET: 'another-secret',
      SESSION_SECRET: sessionSecret,
      CACHE_INSPECTOR: 'on',
    });
    const [first, second] = settings.samples;
    assert.equal(first?.clientId, own);
    assert.equal(first?.clientSecret, 'another-secret');
    assert.equal(first?.cacheInspector, true);
    assert.equal(second?.clientId, clientId);
    assert.equal(second?.clientSecret, clientSecret);
  });

  test('in Entra mode, only the samples that run need credentials', () => {
    const env = {
      ENTRA_TENANT_ID: tenantId,
      ASPNETCORE_CLIENT_ID: clientId,
      ASPNETCORE_CLIENT_SECRET: clientSecret,
      SESSION_SECRET: sessionSecret,
    };
    const settings = loadSettings(registrations, env, { run: ['aspnetcore'] });
    assert.deepEqual(
      settings.samples.map((sample) => sample.name),
      ['aspnetcore'],
    );
    assert.match(
      problemsOf({}, () => loadSettings(registrations, env, { run: ['aspnetcore', 'java'] })).join(
        '\n',
      ),
      /ENTRA_CLIENT_ID \(or JAVA_CLIENT_ID\) is required/,
    );
  });

  test('names every missing variable in Entra mode at once', () => {
    const problems = problemsOf({ ENTRA_TENANT_ID: tenantId }, () =>
      aspnetcore({ ENTRA_TENANT_ID: tenantId }),
    );
    assert.deepEqual(problems, [
      'ENTRA_CLIENT_ID (or ASPNETCORE_CLIENT_ID) is required',
      'ENTRA_CLIENT_SECRET (or ASPNETCORE_CLIENT_SECRET) is required',
      'SESSION_SECRET is required with ENTRA_TENANT_ID (at least 32 random characters)',
    ]);
  });

  test('names each malformed variable once, without echoing secrets', () => {
    const problems = problemsOf({
      ENTRA_TENANT_ID: 'not a tenant',
      ENTRA_CLIENT_ID: 'not-a-guid',
      ENTRA_CLIENT_SECRET: clientSecret,
      SESSION_SECRET: 'too-short-secret',
      ASPNETCORE_PORT: 'eighty',
      ASPNETCORE_BASE_URL: 'ftp://example.com/path',
      CACHE_INSPECTOR: 'maybe',
    });
    const text = problems.join('\n');
    for (const name of [
      'ENTRA_TENANT_ID',
      'SESSION_SECRET',
      'ASPNETCORE_PORT',
      'ASPNETCORE_BASE_URL',
      'CACHE_INSPECTOR',
    ]) {
      assert.match(text, new RegExp(name));
    }
    // Malformed, not missing: one message, not also "is required".
    assert.deepEqual(
      problems.filter((problem) => problem.includes('ENTRA_CLIENT_ID')),
      ['ENTRA_CLIENT_ID must be a GUID like 00000000-0000-0000-0000-000000000000'],
    );
    assert.doesNotMatch(text, /too-short-secret|do-not-print/);
  });

  test('SESSION_SECRET may hold several secrets, the first one signing: rotation', () => {
    const [first, second] = ['a'.repeat(32), 'b'.repeat(40)];
    const settings = aspnetcore({ SESSION_SECRET: `${first}, ${second}` });
    assert.deepEqual(settings.samples[0]?.sessionKeys, [first, second]);
    assert.deepEqual(problemsOf({ SESSION_SECRET: `${first},short` }), [
      'SESSION_SECRET must be at least 32 characters long (each, when there are several)',
    ]);
  });

  test('names the problems of every sample at once', () => {
    const problems = problemsOf({ ASPNET_PORT: 'x', PYTHON_BASE_URL: 'nope', JAVA_PORT: '3001' });
    assert.deepEqual(problems, [
      'ASPNET_PORT must be a port number from 1 to 65535, or several separated by commas (got "x")',
      'PYTHON_BASE_URL must be an http(s) URL with no path, like https://app.example.com',
      'ASPNETCORE_PORT and JAVA_PORT are both 3001: give each its own port',
    ]);
  });

  test('LANDING_PORT is read with the rest when the landing page runs', () => {
    const landing = (env: Environment) => loadSettings(registrations, env, { landing: true });
    assert.equal(landing({}).landingPort, 3000);
    assert.deepEqual(
      problemsOf({}, () => landing({ LANDING_PORT: '4000', ASPNET_PORT: 'x' })),
      [
        'ASPNET_PORT must be a port number from 1 to 65535, or several separated by commas (got "x")',
        'EMULATOR_PORT and LANDING_PORT are both 4000: give each its own port',
      ],
    );
  });

  test('checks the app registrations file named by EMULATOR_APPS', () => {
    const text = problemsOf({
      EMULATOR_APPS: appsFile([{ clientId: 'nope', redirectUris: [] }]),
    }).join('\n');
    assert.match(text, /EMULATOR_APPS.*entry 0.*clientId/);
    assert.match(text, /EMULATOR_APPS.*entry 0.*clientSecret/);
    assert.match(text, /EMULATOR_APPS.*entry 0.*redirectUris/);

    const app = {
      clientId,
      clientSecret: 's',
      redirectUris: ['http://localhost:5000/callback'],
      frontChannelLogoutUrl: 'http://localhost:5000/logout',
    };
    const settings = loadSettings(registrations, { EMULATOR_APPS: appsFile([app]) });
    const registered = emulatorApps(settings.emulator!).at(-1);
    assert.equal(registered?.clientId, clientId);
    assert.equal(registered?.frontChannelLogoutUrl, app.frontChannelLogoutUrl);

    assert.match(
      problemsOf({ EMULATOR_APPS: '/no/such/apps.json' }).join('\n'),
      /EMULATOR_APPS.*ENOENT/,
    );
  });

  test("docs/configuration.md's EMULATOR_APPS example is a valid file, optional claims and API permissions included", () => {
    const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(doc)?.[1] ?? 'null');
    const settings = loadSettings(registrations, { EMULATOR_APPS: appsFile(example) });
    const registered = emulatorApps(settings.emulator!).at(-1);
    assert.equal(registered?.clientId, example[0].clientId);
    assert.deepEqual(registered?.optionalClaims, ['sid', 'login_hint']);
    assert.deepEqual(registered?.apiPermissions, ['User.Read', 'Mail.Read']);
  });

  test('an EMULATOR_APPS entry asking for an optional claim the emulator does not have is refused', () => {
    const app = { clientId, clientSecret: 's', redirectUris: ['http://localhost:5000/cb'] };
    for (const optionalClaims of [['email'], 'sid', [42]]) {
      assert.match(
        problemsOf({ EMULATOR_APPS: appsFile([{ ...app, optionalClaims }]) }).join('\n'),
        /EMULATOR_APPS.*entry 0.*"optionalClaims" must be an array of "sid" and "login_hint"/,
        JSON.stringify(optionalClaims),
      );
    }
  });

  test("an EMULATOR_APPS entry lists its API permissions among the Graph-like API's; without them, User.Read", () => {
    const app = { clientId, clientSecret: 's', redirectUris: ['http://localhost:5000/cb'] };
    for (const apiPermissions of [['Files.Read'], 'User.Read', [42]]) {
      assert.match(
        problemsOf({ EMULATOR_APPS: appsFile([{ ...app, apiPermissions }]) }).join('\n'),
        /EMULATOR_APPS.*entry 0.*"apiPermissions" must be an array of "User\.Read", "User\.ReadBasic\.All", "Mail\.Read"/,
        JSON.stringify(apiPermissions),
      );
    }
    const listed = { ...app, apiPermissions: ['Mail.Read'] };
    const settings = loadSettings(registrations, { EMULATOR_APPS: appsFile([listed]) });
    assert.deepEqual(emulatorApps(settings.emulator!).at(-1)?.apiPermissions, ['Mail.Read']);
  });

  test('an EMULATOR_APPS entry may enable ID tokens from the authorize endpoint (the hybrid flow); off by default', () => {
    const app = { clientId, clientSecret: 's', redirectUris: ['http://localhost:5000/cb'] };
    const registered = (entry: object) =>
      emulatorApps(loadSettings(registrations, { EMULATOR_APPS: appsFile([entry]) }).emulator!).at(
        -1,
      );
    assert.equal(registered(app)?.enableIdTokenIssuance, undefined);
    assert.equal(registered({ ...app, enableIdTokenIssuance: true })?.enableIdTokenIssuance, true);
    assert.match(
      problemsOf({ EMULATOR_APPS: appsFile([{ ...app, enableIdTokenIssuance: 'yes' }]) }).join(
        '\n',
      ),
      /EMULATOR_APPS.*entry 0.*"enableIdTokenIssuance" must be true or false/,
    );
  });

  test("token lifetimes and the critical events' delay reach the emulator's options; a lifetime within msal's 5-minute margin is refused", () => {
    const defaults = emulatorOptions(loadSettings(registrations, {}).emulator!);
    assert.equal(defaults.accessTokenLifetimeSeconds, 3600);
    assert.equal(defaults.caeAccessTokenLifetimeSeconds, 86400);
    assert.equal(defaults.criticalEventDelaySeconds, 0);
    const settings = loadSettings(registrations, {
      EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS: '420',
      EMULATOR_CAE_ACCESS_TOKEN_LIFETIME_SECONDS: '7200',
      EMULATOR_CRITICAL_EVENT_DELAY_SECONDS: '60',
    });
    const options = emulatorOptions(settings.emulator!);
    assert.equal(options.accessTokenLifetimeSeconds, 420);
    assert.equal(options.caeAccessTokenLifetimeSeconds, 7200);
    assert.equal(options.criticalEventDelaySeconds, 60);
    assert.deepEqual(
      problemsOf({
        EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS: '300',
        EMULATOR_CRITICAL_EVENT_DELAY_SECONDS: '901',
      }),
      [
        'EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 301 to 86400 (got "300")',
        'EMULATOR_CRITICAL_EVENT_DELAY_SECONDS must be a whole number of seconds from 0 to 900 (got "901")',
      ],
    );
  });

  test('an EMULATOR_APPS entry reusing a registered client id is refused, naming the entry', () => {
    const file = appsFile([
      { clientId, clientSecret: 's', redirectUris: ['http://localhost:5000/cb'] },
      { clientId, clientSecret: 't', redirectUris: ['http://localhost:5001/cb'] },
      {
        clientId: samples.java.registration.emulatorClientId.toUpperCase(),
        clientSecret: 'u',
        redirectUris: ['http://localhost:5002/cb'],
      },
    ]);
    // Named with every other problem, here a port.
    const problems = problemsOf({ EMULATOR_APPS: file, ASPNET_PORT: 'x' });
    assert.deepEqual(problems, [
      'ASPNET_PORT must be a port number from 1 to 65535, or several separated by commas (got "x")',
      `EMULATOR_APPS: "${file}" entry 1: client id ${clientId} is already registered, by "App ${clientId}"; give this app its own`,
      `EMULATOR_APPS: "${file}" entry 2: client id ${samples.java.registration.emulatorClientId} is already registered, by "java (Spring Boot + msal4j)"; give this app its own`,
    ]);
  });

  describe('Redis and several instances', () => {
    const redisUrl = 'redis://:do-not-print-this-redis-password@127.0.0.1:6379';
    const encryptionKey = 'do-not-print-this-redis-encryption-key';

    test('REDIS_URL selects Redis; in Entra mode REDIS_ENCRYPTION_KEY is required; no secret is printed', () => {
      assert.equal(aspnetcore({}).redis, undefined, 'memory by default');
      const emulatorMode = aspnetcore({ REDIS_URL: redisUrl });
      assert.equal(emulatorMode.redis?.url, redisUrl);
      assert.equal(emulatorMode.redis?.encryptionKeys.length, 1, 'a key per process');
      const entra = {
        ENTRA_TENANT_ID: tenantId,
        ENTRA_CLIENT_ID: clientId,
        ENTRA_CLIENT_SECRET: clientSecret,
        SESSION_SECRET: sessionSecret,
        REDIS_URL: redisUrl,
      };
      const problems = problemsOf(entra, () => aspnetcore(entra)).join('\n');
      assert.match(problems, /REDIS_ENCRYPTION_KEY is required with REDIS_URL and ENTRA_TENANT_ID/);
      const keys = `${encryptionKey},old-${encryptionKey}`;
      const withKey = aspnetcore({ ...entra, REDIS_ENCRYPTION_KEY: keys });
      assert.deepEqual(withKey.redis?.encryptionKeys, [encryptionKey, `old-${encryptionKey}`]);

      const bad = problemsOf({}, () =>
        aspnetcore({
          REDIS_URL: 'http://:do-not-print-this-redis-password@x',
          REDIS_ENCRYPTION_KEY: 'short',
        }),
      ).join('\n');
      assert.match(bad, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
      assert.match(bad, /REDIS_ENCRYPTION_KEY must be at least 32 characters long/);
      assert.doesNotMatch(bad, /do-not-print|short/);
    });

    test('--instances N: the next ports up that no other sample of the command uses; a port list names them; both need REDIS_URL', () => {
      const two = loadSettings(
        [samples.aspnetcore.registration],
        { REDIS_URL: redisUrl },
        {
          instances: { aspnetcore: 2 },
        },
      );
      assert.deepEqual(
        two.samples.map(({ port, baseUrl, instance }) => [
          port,
          baseUrl,
          instance.number,
          instance.of,
        ]),
        [
          [3001, 'http://localhost:3001', 1, 2],
          [3002, 'http://localhost:3002', 2, 2],
        ],
      );
      assert.deepEqual(
        two.samples[0]?.sessionKeys,
        two.samples[1]?.sessionKeys,
        'one app, one key',
      );

      // npm start with REDIS_URL: aspnetcore's second instance on 3005, past aspnet, java and python,
      // clear of node's 3006.
      const start = loadSettings(
        registrations,
        { REDIS_URL: redisUrl },
        {
          instancesWithRedis: { aspnetcore: 2 },
        },
      );
      assert.deepEqual(
        start.samples.map(({ name, port }) => `${name}:${port}`),
        [
          'aspnetcore:3001',
          'aspnetcore:3005',
          'aspnet:3002',
          'java:3003',
          'node:3006',
          'python:3004',
        ],
      );
      // The emulator alone (`npm run emulator`, run: []) registers the URLs `npm start` would run
      // at, each exactly: an emulator started first still follows instance 2's post-logout URI.
      const alone = loadSettings(
        registrations,
        { REDIS_URL: redisUrl },
        { run: [], instancesWithRedis: { aspnetcore: 2 } },
      );
      const registered = alone.emulator?.registeredSamples.find(
        ({ registration }) => registration.name === 'aspnetcore',
      );
      assert.deepEqual(registered?.baseUrls, ['http://localhost:3001', 'http://localhost:3005']);
      const [app] = emulatorApps(alone.emulator ?? assert.fail('emulator mode'));
      assert.ok(app?.redirectUris.includes('http://localhost:3005/signout-callback-oidc'));
      // A third: past node's port too.
      const three = loadSettings(
        registrations,
        { REDIS_URL: redisUrl },
        { instances: { aspnetcore: 3 } },
      );
      assert.deepEqual(
        three.samples.filter(({ name }) => name === 'aspnetcore').map(({ port }) => port),
        [3001, 3005, 3007],
      );
      assert.equal(
        loadSettings(registrations, {}, { instancesWithRedis: { aspnetcore: 2 } }).samples.length,
        5,
      );

      const listed = aspnetcore({ REDIS_URL: redisUrl, ASPNETCORE_PORT: '4100, 4200' });
      assert.deepEqual(
        listed.samples.map(({ port }) => port),
        [4100, 4200],
      );

      assert.match(
        problemsOf({}, () => aspnetcore({ ASPNETCORE_PORT: '4100,4200' })).join('\n'),
        /ASPNETCORE_PORT lists 2 ports of aspnetcore: several instances share their sessions and tokens through Redis; set REDIS_URL/,
      );
      assert.match(
        problemsOf({}, () =>
          loadSettings([samples.aspnetcore.registration], {}, { instances: { aspnetcore: 3 } }),
        ).join('\n'),
        /3 instances of aspnetcore: .*set REDIS_URL/,
      );
      const asked = (env: Environment, instances: number) => () =>
        loadSettings(
          [samples.aspnetcore.registration],
          { REDIS_URL: redisUrl, ...env },
          {
            instances: { aspnetcore: instances },
          },
        );
      assert.match(
        problemsOf({}, asked({ ASPNETCORE_PORT: '4100,4200' }, 3)).join('\n'),
        /ASPNETCORE_PORT lists 2 ports of aspnetcore, and 3 instances are asked for/,
      );
      assert.match(
        problemsOf({}, asked({ ASPNETCORE_PORT: '65535' }, 2)).join('\n'),
        /ASPNETCORE_PORT: 2 instances of aspnetcore need ports up to 65536, past 65535/,
      );
      assert.match(
        problemsOf({}, () =>
          aspnetcore({ REDIS_URL: redisUrl, ASPNETCORE_PORT: '4100,4100' }),
        ).join('\n'),
        /ASPNETCORE_PORT \(instance 1\) and ASPNETCORE_PORT \(instance 2\) are both 4100/,
      );
    });

    test('--instances is the only argument, from 1 to 8', () => {
      assert.equal(instancesArgument([]), 1);
      assert.equal(instancesArgument(['--instances', '2']), 2);
      assert.equal(instancesArgument(['--instances=3']), 3);
      for (const argv of [
        ['--instances', '0'],
        ['--instances', '9'],
        ['--instances=x'],
        ['--port', '1'],
      ]) {
        assert.throws(() => instancesArgument(argv), ConfigurationError, argv.join(' '));
      }
    });
  });
});
