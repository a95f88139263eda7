import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigurationError, loadSettings } from '../shared/config/settings.ts';
import { freePorts } from './helpers/environment.ts';

const tenantId = '11111111-2222-3333-4444-555555555555';
const clientId = '66666666-7777-8888-9999-000000000000';
const clientSecret = 'do-not-print-this-client-secret';
const sessionSecret = 'do-not-print-this-session-secret-0123456789';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings('aspnetcore', env);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError);
    return error.problems;
  }
  assert.fail('expected a ConfigurationError');
}

describe('configuration', () => {
  test('defaults to emulator mode, with the sample on port 3001', () => {
    const settings = loadSettings('aspnetcore', {});
    assert.equal(settings.identity.mode, 'emulator');
    assert.equal(settings.sample.baseUrl, 'http://localhost:3001');
    assert.equal(
      settings.identity.authority,
      `https://localhost:4000/${settings.emulator!.tenantId}`,
    );
    assert.equal(settings.identity.graphUrl, 'http://localhost:4001');
    assert.equal(settings.sample.cacheInspector, true);
    const registration = settings.emulator!.apps.find(
      (app) => app.clientId === settings.sample.clientId,
    );
    assert.deepEqual(registration?.redirectUris, [
      'http://localhost:3001/signin-oidc',
      'http://localhost:3001/signout-callback-oidc',
    ]);
    assert.equal(registration?.frontChannelLogoutUrl, 'http://localhost:3001/signout-oidc');
  });

  test('ENTRA_TENANT_ID selects Entra ID, with Microsoft Graph and no inspector', () => {
    const settings = loadSettings('aspnetcore', {
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_ID: clientId,
      ENTRA_CLIENT_SECRET: clientSecret,
      SESSION_SECRET: sessionSecret,
    });
    assert.equal(settings.identity.mode, 'entra');
    assert.equal(settings.emulator, undefined);
    assert.equal(settings.identity.authority, `https://login.microsoftonline.com/${tenantId}`);
    assert.equal(settings.identity.graphUrl, 'https://graph.microsoft.com');
    assert.equal(settings.sample.clientId, clientId);
    assert.equal(settings.sample.cacheInspector, false);
  });

  test('per-sample registration settings override the shared ones', () => {
    const own = '12345678-1234-1234-1234-123456789abc';
    const settings = loadSettings('aspnetcore', {
      ENTRA_TENANT_ID: tenantId,
      ENTRA_CLIENT_ID: clientId,
      ENTRA_CLIENT_SECRET: clientSecret,
      ASPNETCORE_CLIENT_ID: own,
      ASPNETCORE_CLIENT_SECRET: 'another-secret',
      SESSION_SECRET: sessionSecret,
      CACHE_INSPECTOR: 'on',
    });
    assert.equal(settings.sample.clientId, own);
    assert.equal(settings.sample.clientSecret, 'another-secret');
    assert.equal(settings.sample.cacheInspector, true);
  });

  test('names every missing variable in Entra mode at once', () => {
    const problems = problemsOf({ ENTRA_TENANT_ID: tenantId });
    assert.equal(problems.length, 3);
    assert.match(problems.join('\n'), /ENTRA_CLIENT_ID/);
    assert.match(problems.join('\n'), /ENTRA_CLIENT_SECRET/);
    assert.match(problems.join('\n'), /SESSION_SECRET/);
  });

  test('names each malformed variable, without echoing secrets', () => {
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
      'ENTRA_CLIENT_ID',
      'SESSION_SECRET',
      'ASPNETCORE_PORT',
      'ASPNETCORE_BASE_URL',
      'CACHE_INSPECTOR',
    ]) {
      assert.match(text, new RegExp(name));
    }
    assert.doesNotMatch(text, /too-short-secret|do-not-print/);
  });

  test('checks the app registrations file named by EMULATOR_APPS', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'apps-'));
    const file = path.join(folder, 'apps.json');
    writeFileSync(file, JSON.stringify([{ clientId: 'nope', redirectUris: [] }]));
    const text = problemsOf({ EMULATOR_APPS: file }).join('\n');
    assert.match(text, /EMULATOR_APPS.*entry 0.*clientId/);
    assert.match(text, /EMULATOR_APPS.*entry 0.*clientSecret/);
    assert.match(text, /EMULATOR_APPS.*entry 0.*redirectUris/);

    const app = {
      clientId,
      clientSecret: 's',
      redirectUris: ['http://localhost:5000/callback'],
      frontChannelLogoutUrl: 'http://localhost:5000/logout',
    };
    writeFileSync(file, JSON.stringify([app]));
    const registered = loadSettings('aspnetcore', { EMULATOR_APPS: file }).emulator!.apps.at(-1);
    assert.equal(registered?.clientId, clientId);
    assert.equal(registered?.frontChannelLogoutUrl, app.frontChannelLogoutUrl);

    assert.match(
      problemsOf({ EMULATOR_APPS: path.join(folder, 'missing.json') }).join('\n'),
      /EMULATOR_APPS.*ENOENT/,
    );
  });

  test('in Entra mode no emulator starts: the sample goes to the configured instance for discovery', async () => {
    // A closed local port stands in for login.microsoftonline.com, so the test needs no network.
    const [closedPort] = await freePorts(1);
    const [emulatorPort] = await freePorts(1);
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'samples/aspnetcore/main.ts'], {
      env: {
        PATH: process.env.PATH,
        ENTRA_TENANT_ID: tenantId,
        ENTRA_CLIENT_ID: clientId,
        ENTRA_CLIENT_SECRET: clientSecret,
        SESSION_SECRET: sessionSecret,
        ENTRA_INSTANCE: `http://127.0.0.1:${closedPort}`,
        EMULATOR_PORT: String(emulatorPort),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `discovery document at http://127\\.0\\.0\\.1:${closedPort}/${tenantId}/v2\\.0/\\.well-known/openid-configuration`,
      ),
    );
    assert.doesNotMatch(result.stdout, /emulator/i);
    assert.doesNotMatch(result.stdout + result.stderr, /do-not-print/);
  });

  test('a sample with bad configuration stops at start-up, naming the variable and no secret', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'samples/aspnetcore/main.ts'], {
      env: { PATH: process.env.PATH, ENTRA_TENANT_ID: tenantId, ENTRA_CLIENT_SECRET: clientSecret },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /ENTRA_CLIENT_ID/);
    assert.match(result.stderr, /SESSION_SECRET/);
    assert.doesNotMatch(result.stderr + result.stdout, /do-not-print/);
  });
});
