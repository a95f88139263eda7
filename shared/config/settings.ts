import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import {
  type SampleName,
  type SampleRegistration,
  sampleNames,
  sampleRegistrations,
} from '../app-registrations.ts';
import { DEFAULT_EMULATOR_PASSWORD } from '../emulator/directory.ts';
import type { AppRegistration } from '../emulator/index.ts';

/**
 * The one place that reads configuration. Everything is validated at start-up, every problem is
 * reported at once by variable name, and secret values never appear in a message.
 *
 * Two modes: `emulator` (the default: no tenant configured, everything local) and `entra`
 * (ENTRA_TENANT_ID is set: a real Microsoft Entra ID tenant and the real Microsoft Graph).
 */

export type Environment = Record<string, string | undefined>;

export interface IdentitySettings {
  mode: 'emulator' | 'entra';
  tenantId: string;
  /**
   * The authority msal is given. For the emulator it is an `https://` identifier (msal refuses
   * http authorities); the endpoints msal calls come from the discovery document, which is http.
   */
  authority: string;
  /** Where the OpenID Connect discovery document is fetched from. */
  discoveryUrl: string;
  /** Base URL of Microsoft Graph (or of the emulator's Graph-like API). */
  graphUrl: string;
}

export interface SampleSettings {
  name: SampleName;
  registration: SampleRegistration;
  clientId: string;
  clientSecret: string;
  port: number;
  /** The sample's public origin, e.g. `http://localhost:3001`; redirect URIs are built from it. */
  baseUrl: string;
  /** Keys that sign the session cookies (koa's `app.keys`). */
  sessionKeys: string[];
  /** Whether `/cache` (the token cache inspector) is served. */
  cacheInspector: boolean;
}

export interface EmulatorSettings {
  port: number;
  graphPort: number;
  tenantId: string;
  password: string;
  /** The samples' registrations plus any from the EMULATOR_APPS file. */
  apps: AppRegistration[];
  frontChannelLogoutIncludesIss: boolean;
  identityUrl: string;
  graphUrl: string;
}

export interface Settings {
  identity: IdentitySettings;
  sample: SampleSettings;
  /** Present in emulator mode only. */
  emulator?: EmulatorSettings;
}

export const DEFAULT_EMULATOR_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/** `process.env`, over the values of a `.env` file in the working directory if there is one. */
export function readEnvironment(envFile = '.env'): Environment {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** Settings for one sample (and, in emulator mode, for the emulator it talks to). */
export function loadSettings(name: SampleName, env: Environment = readEnvironment()): Settings {
  const read = new EnvironmentReader(env);
  const emulator = read.string('ENTRA_TENANT_ID') ? undefined : emulatorSettings(read);
  const identity = emulator ? emulatorIdentity(emulator) : entraIdentity(read);
  const sample = sampleSettings(read, name, identity.mode);
  read.throwIfProblems();
  return { identity, sample, ...(emulator ? { emulator } : {}) };
}

/** Settings for `npm run emulator`: the emulator and the registrations of every sample. */
export function loadEmulatorSettings(env: Environment = readEnvironment()): EmulatorSettings {
  const read = new EnvironmentReader(env);
  const settings = emulatorSettings(read);
  read.throwIfProblems();
  return settings;
}

/** Where `npm start` serves its landing page. */
export function loadLandingPort(env: Environment = readEnvironment()): number {
  const read = new EnvironmentReader(env);
  const port = read.port('LANDING_PORT', 3000);
  read.throwIfProblems();
  return port;
}

function emulatorSettings(read: EnvironmentReader): EmulatorSettings {
  const port = read.port('EMULATOR_PORT', 4000);
  const graphPort = read.port('GRAPH_PORT', 4001);
  const sampleApps = sampleNames.map((name) => {
    const registration = sampleRegistrations[name];
    const baseUrl = sampleBaseUrl(read, name);
    const app: AppRegistration = {
      displayName: registration.displayName,
      clientId: registration.clientId,
      clientSecret: registration.clientSecret,
      redirectUris: [
        baseUrl + registration.redirectPath,
        baseUrl + registration.postLogoutRedirectPath,
      ],
    };
    if (registration.frontChannelLogoutPath) {
      app.frontChannelLogoutUrl = baseUrl + registration.frontChannelLogoutPath;
    }
    return app;
  });
  return {
    port,
    graphPort,
    tenantId: read.guid('EMULATOR_TENANT_ID') ?? DEFAULT_EMULATOR_TENANT_ID,
    password: read.string('EMULATOR_PASSWORD') ?? DEFAULT_EMULATOR_PASSWORD,
    apps: [...sampleApps, ...read.appRegistrationsFile('EMULATOR_APPS')],
    frontChannelLogoutIncludesIss: read.boolean('EMULATOR_FRONTCHANNEL_ISS', false),
    identityUrl: `http://localhost:${port}`,
    graphUrl: `http://localhost:${graphPort}`,
  };
}

function emulatorIdentity(emulator: EmulatorSettings): IdentitySettings {
  return {
    mode: 'emulator',
    tenantId: emulator.tenantId,
    authority: `https://localhost:${emulator.port}/${emulator.tenantId}`,
    discoveryUrl: `${emulator.identityUrl}/${emulator.tenantId}/v2.0/.well-known/openid-configuration`,
    graphUrl: emulator.graphUrl,
  };
}

function entraIdentity(read: EnvironmentReader): IdentitySettings {
  const tenantId = read.tenant('ENTRA_TENANT_ID') ?? '';
  const instance = read.origin('ENTRA_INSTANCE') ?? 'https://login.microsoftonline.com';
  return {
    mode: 'entra',
    tenantId,
    authority: `${instance}/${tenantId}`,
    discoveryUrl: `${instance}/${tenantId}/v2.0/.well-known/openid-configuration`,
    graphUrl: read.origin('GRAPH_URL') ?? 'https://graph.microsoft.com',
  };
}

function sampleSettings(
  read: EnvironmentReader,
  name: SampleName,
  mode: IdentitySettings['mode'],
): SampleSettings {
  const registration = sampleRegistrations[name];
  const prefix = name.toUpperCase();
  let clientId = registration.clientId;
  let clientSecret = registration.clientSecret;
  if (mode === 'entra') {
    // Each sample may have its own app registration; otherwise they share ENTRA_CLIENT_*.
    clientId = read.guid(`${prefix}_CLIENT_ID`) ?? read.guid('ENTRA_CLIENT_ID') ?? '';
    clientSecret =
      read.string(`${prefix}_CLIENT_SECRET`) ?? read.string('ENTRA_CLIENT_SECRET') ?? '';
    if (!clientId) read.problem(`ENTRA_CLIENT_ID (or ${prefix}_CLIENT_ID) is required`);
    if (!clientSecret) read.problem(`ENTRA_CLIENT_SECRET (or ${prefix}_CLIENT_SECRET) is required`);
  }
  const sessionSecret = read.string('SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    read.problem('SESSION_SECRET must be at least 32 characters long');
  } else if (sessionSecret === undefined && mode === 'entra') {
    read.problem('SESSION_SECRET is required with ENTRA_TENANT_ID (at least 32 random characters)');
  }
  return {
    name,
    registration,
    clientId,
    clientSecret,
    port: read.port(`${prefix}_PORT`, registration.defaultPort),
    baseUrl: sampleBaseUrl(read, name),
    // Emulator mode without SESSION_SECRET: a fresh key per process (sessions end on restart).
    sessionKeys: [sessionSecret ?? randomBytes(32).toString('base64url')],
    cacheInspector: read.boolean('CACHE_INSPECTOR', mode === 'emulator'),
  };
}

function sampleBaseUrl(read: EnvironmentReader, name: SampleName): string {
  const prefix = name.toUpperCase();
  const port = read.port(`${prefix}_PORT`, sampleRegistrations[name].defaultPort);
  return read.origin(`${prefix}_BASE_URL`) ?? `http://localhost:${port}`;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const domainPattern = /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i;

/** Reads and checks variables, collecting every problem so they can be reported together. */
class EnvironmentReader {
  private readonly problems = new Set<string>();

  constructor(private readonly env: Environment) {}

  problem(message: string): void {
    this.problems.add(message);
  }

  throwIfProblems(): void {
    if (this.problems.size > 0) throw new ConfigurationError([...this.problems]);
  }

  /** A value, trimmed; empty counts as unset. Messages about secrets never include the value. */
  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  port(name: string, fallback: number): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      this.problem(`${name} must be a port number from 1 to 65535 (got "${value}")`);
      return fallback;
    }
    return port;
  }

  guid(name: string): string | undefined {
    const value = this.string(name);
    if (value !== undefined && !guidPattern.test(value)) {
      this.problem(`${name} must be a GUID like 00000000-0000-0000-0000-000000000000`);
      return undefined;
    }
    return value?.toLowerCase();
  }

  /** A tenant: its id (GUID) or one of its domain names. */
  tenant(name: string): string | undefined {
    const value = this.string(name);
    if (value !== undefined && !guidPattern.test(value) && !domainPattern.test(value)) {
      this.problem(`${name} must be a tenant id (GUID) or domain name (got "${value}")`);
      return undefined;
    }
    return value;
  }

  /** An absolute http(s) URL with no path, returned without a trailing slash. */
  origin(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash) {
      this.problem(`${name} must be an http(s) URL with no path, like https://app.example.com`);
      return undefined;
    }
    return url.origin;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'on', 'yes'].includes(value)) return true;
    if (['0', 'false', 'off', 'no'].includes(value)) return false;
    this.problem(`${name} must be on or off (got "${value}")`);
    return fallback;
  }

  /** A JSON file holding an array of app registrations for the emulator. */
  appRegistrationsFile(name: string): AppRegistration[] {
    const file = this.string(name);
    if (file === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'not valid JSON';
      this.problem(`${name}: cannot read app registrations from "${file}" (${reason})`);
      return [];
    }
    if (!Array.isArray(parsed)) {
      this.problem(`${name}: "${file}" must hold a JSON array of app registrations`);
      return [];
    }
    return parsed.flatMap((entry: unknown, index) => {
      const where = `${name}: "${file}" entry ${index}`;
      const app = (entry ?? {}) as Record<string, unknown>;
      const isUrl = (value: unknown) =>
        typeof value === 'string' && URL.canParse(value) && /^https?:/.test(value);
      const before = this.problems.size;
      if (typeof app.clientId !== 'string' || !guidPattern.test(app.clientId)) {
        this.problem(`${where}: "clientId" must be a GUID`);
      }
      if (typeof app.clientSecret !== 'string' || app.clientSecret === '') {
        this.problem(`${where}: "clientSecret" must be a non-empty string`);
      }
      if (!Array.isArray(app.redirectUris) || app.redirectUris.length === 0) {
        this.problem(`${where}: "redirectUris" must be a non-empty array of URLs`);
      } else if (!app.redirectUris.every(isUrl)) {
        this.problem(`${where}: every entry of "redirectUris" must be an absolute http(s) URL`);
      }
      if (app.frontChannelLogoutUrl !== undefined && !isUrl(app.frontChannelLogoutUrl)) {
        this.problem(`${where}: "frontChannelLogoutUrl" must be an absolute http(s) URL`);
      }
      if (this.problems.size > before) return [];
      const registration: AppRegistration = {
        displayName: typeof app.displayName === 'string' ? app.displayName : `App ${app.clientId}`,
        clientId: (app.clientId as string).toLowerCase(),
        clientSecret: app.clientSecret as string,
        redirectUris: app.redirectUris as string[],
      };
      if (typeof app.frontChannelLogoutUrl === 'string') {
        registration.frontChannelLogoutUrl = app.frontChannelLogoutUrl;
      }
      return [registration];
    });
  }
}
