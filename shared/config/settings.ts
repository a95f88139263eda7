import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import {
  type AppRegistration,
  EMULATOR_DEFAULTS,
  GRAPH_PERMISSIONS,
} from '../../emulator/index.ts';
import type { SampleRegistration } from '../sample/registration.ts';
import {
  builtInClientSecret,
  DEFAULT_EMULATOR_KEY_FILE,
  KeyFileError,
  readOrCreateEmulatorKey,
} from './emulator-key.ts';

/**
 * The one place that reads configuration, and all it reads is the environment (and a `.env` file).
 * Everything is validated at start-up, every problem of every sample is reported at once by
 * variable name, and secret values never appear in a message.
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
  /** How long a call to the identity platform or to Graph may take (OUTBOUND_TIMEOUT_SECONDS). */
  outboundTimeoutMs: number;
}

export interface SampleSettings {
  name: string;
  registration: SampleRegistration;
  clientId: string;
  clientSecret: string;
  port: number;
  /** The sample's public origin, e.g. `http://localhost:3001`; redirect URIs are built from it. */
  baseUrl: string;
  /** SESSION_SECRET: the first signs cookies and seals sign-in transactions, all verify and open. */
  sessionKeys: string[];
  /** Whether `/cache` (the token cache inspector) is served. */
  cacheInspector: boolean;
  /** How many users' access tokens a per-user token cache remembers (TOKEN_CACHE_WARM_USERS). */
  warmUsers: number;
  /** Which instance of the sample this is, of how many (several share one Redis). */
  instance: { number: number; of: number };
}

/** Where several instances of a sample share their sessions and token caches (REDIS_URL). */
export interface RedisSettings {
  url: string;
  /** REDIS_ENCRYPTION_KEY: the first seals what is stored, all open it. */
  encryptionKeys: string[];
  /** How long a command or a connection may take before the page says Redis is not available. */
  timeoutMs: number;
}

/** An app registration from the EMULATOR_APPS file, with where it came from (for messages). */
export interface ConfiguredApp {
  app: AppRegistration;
  /** e.g. `EMULATOR_APPS: "./apps.json" entry 1` */
  source: string;
}

export interface EmulatorSettings {
  /**
   * The host name apps and browsers reach the emulator at (EMULATOR_HOST): another site than the
   * samples' `localhost` makes the identity platform cross-site, as Entra is. It listens on
   * 127.0.0.1 whatever the name, which must lead there.
   */
  host: string;
  port: number;
  graphPort: number;
  tenantId: string;
  /** EMULATOR_PASSWORD, or the emulator's documented default. */
  password: string;
  /**
   * Every sample's registration, the URL the sample is configured to run at, and its client
   * secret, derived from this checkout's key (EMULATOR_KEY_FILE): all of them are registered at
   * the emulator, whichever samples this process runs.
   */
  registeredSamples: Array<{
    registration: SampleRegistration;
    baseUrl: string;
    clientSecret: string;
  }>;
  /** Apps registered beside the samples (EMULATOR_APPS), none reusing a client id. */
  extraApps: ConfiguredApp[];
  frontChannelLogoutIncludesIss: boolean;
  /** EMULATOR_LOGOUT_AUTO_CONTINUE: the sign-out page continues by itself, as Entra's does. */
  logoutAutoContinue: boolean;
  /** Users beyond the demo users (EMULATOR_GENERATED_USERS): `loaduser00001@…`, for load runs. */
  generatedUsers: number;
  identityUrl: string;
  graphUrl: string;
}

/** What one sample runs with. */
export interface Settings {
  identity: IdentitySettings;
  sample: SampleSettings;
}

/** Everything `npm start`, `npm run sample:<name>` and `npm run emulator` run with. */
export interface ProjectSettings {
  identity: IdentitySettings;
  /** The samples to run, in the order of their registrations: one entry per instance. */
  samples: SampleSettings[];
  /** Present when REDIS_URL is set: the samples' shared store. */
  redis?: RedisSettings;
  /** Present in emulator mode only. */
  emulator?: EmulatorSettings;
  /** Where `npm start` serves its landing page (LANDING_PORT), when asked for. */
  landingPort?: number;
}

/**
 * Where the emulator is reached by default: 127.0.0.1, another site than the samples'
 * `localhost`, so that the identity platform is cross-site as Entra (login.microsoftonline.com) is
 * — its form_post back is a cross-site POST, and today's browsers send the samples' cookies into
 * neither that nor its front-channel iframes. Both names are secure contexts in browsers, so the
 * sign-in cookie can be SameSite=None; Secure over plain http.
 */
export const EMULATOR_HOST = '127.0.0.1';

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * `process.env`, over the values of a `.env` file in the working directory if there is one (or of
 * the file ENV_FILE names, which must exist).
 */
export function readEnvironment(): Environment {
  const named = process.env.ENV_FILE?.trim();
  const envFile = named || '.env';
  if (named && !existsSync(named)) {
    throw new ConfigurationError([`ENV_FILE: there is no file "${named}"`]);
  }
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

export interface LoadOptions {
  /** The names of the samples to run (default: all); only theirs need Entra ID credentials. */
  run?: readonly string[];
  /** Also read LANDING_PORT (`npm start`). */
  landing?: boolean;
  /**
   * How many instances of a sample to run (`--instances N`), unless its `<SAMPLE>_PORT` lists the
   * ports of several. The second and later listen on the ports right after the highest port of the
   * samples this command runs: consecutive, for one sample.
   */
  instances?: Readonly<Record<string, number>>;
  /** The same, only when REDIS_URL is set (`npm start`: two instances of aspnetcore). */
  instancesWithRedis?: Readonly<Record<string, number>>;
}

/** How many users' access tokens a sample's process remembers, by default (see docs/performance.md). */
export const WARM_USERS = 10_000;

/** How long a Redis command may take: a page waits for it at most this long. */
export const REDIS_TIMEOUT_MS = 2_000;

/**
 * The settings of the samples to run, and of the emulator in emulator mode (which registers every
 * sample). Problems of all of them are collected and thrown together as one
 * {@link ConfigurationError}.
 */
export function loadSettings(
  registrations: readonly SampleRegistration[],
  env: Environment = readEnvironment(),
  { run, landing = false, instances = {}, instancesWithRedis = {} }: LoadOptions = {},
): ProjectSettings {
  const read = new EnvironmentReader(env);
  const emulator = read.string('ENTRA_TENANT_ID')
    ? undefined
    : emulatorSettings(read, registrations);
  const identity = {
    ...(emulator ? emulatorIdentity(emulator) : entraIdentity(read)),
    // At most a minute: a request makes at most four calls in a row, so it ends well within the
    // five minutes a sign-out's removal markers live (see shared/core/store/key-value-store.ts).
    outboundTimeoutMs: read.seconds('OUTBOUND_TIMEOUT_SECONDS', 10, { min: 1, max: 60 }) * 1000,
  };
  const redis = redisSettings(read, identity.mode);
  const samples = sampleInstances(
    read,
    registrations.filter((registration) => !run || run.includes(registration.name)),
    emulator,
    { ...(redis ? instancesWithRedis : {}), ...instances },
    redis !== undefined,
  );
  const landingPort = landing ? read.port('LANDING_PORT', 3000) : undefined;
  checkDistinctPorts(read, samples, emulator, landingPort);
  read.throwIfProblems();
  return {
    identity,
    samples,
    ...(redis ? { redis } : {}),
    ...(emulator ? { emulator } : {}),
    ...(landingPort ? { landingPort } : {}),
  };
}

function redisSettings(
  read: EnvironmentReader,
  mode: IdentitySettings['mode'],
): RedisSettings | undefined {
  const url = read.redisUrl('REDIS_URL');
  const keys = read.secrets('REDIS_ENCRYPTION_KEY');
  if (url === undefined) return undefined;
  if (keys === undefined && mode === 'entra') {
    read.problem(
      'REDIS_ENCRYPTION_KEY is required with REDIS_URL and ENTRA_TENANT_ID (at least 32 random characters): it encrypts the tokens and sessions stored in Redis',
    );
  }
  return {
    url,
    // Emulator mode without a key: a fresh one per process (what another process stored does not open).
    encryptionKeys: keys ?? [randomBytes(32).toString('base64url')],
    timeoutMs: REDIS_TIMEOUT_MS,
  };
}

/**
 * One {@link SampleSettings} per instance to run: as many as `<SAMPLE>_PORT` lists ports, or as
 * asked for, the extra ones on the ports after the highest port of these samples. Several
 * instances share their state through Redis, and need it.
 */
function sampleInstances(
  read: EnvironmentReader,
  registrations: readonly SampleRegistration[],
  emulator: EmulatorSettings | undefined,
  requested: Readonly<Record<string, number>>,
  hasRedis: boolean,
): SampleSettings[] {
  const planned = registrations.map((registration) => {
    const variable = `${registration.name.toUpperCase()}_PORT`;
    const ports = read.ports(variable, registration.defaultPort);
    const listed = ports.length > 1;
    const asked = requested[registration.name];
    if (listed && asked !== undefined && asked !== 1 && asked !== ports.length) {
      read.problem(
        `${variable} lists ${ports.length} ports of ${registration.name}, and ${asked} instances are asked for: give one port, or as many as instances`,
      );
    }
    const count = listed ? ports.length : (asked ?? 1);
    if (count > 1 && !hasRedis) {
      const why = listed ? `${variable} lists ${count} ports` : `${count} instances`;
      read.problem(
        `${why} of ${registration.name}: several instances share their sessions and tokens through Redis; set REDIS_URL`,
      );
    }
    return { registration, ports, count };
  });
  let nextPort = Math.max(0, ...planned.flatMap(({ ports }) => ports)) + 1;
  return planned.flatMap(({ registration, ports, count }) => {
    const all = [...ports];
    while (all.length < count) all.push(nextPort++);
    if (all.some((port) => port > 65535)) {
      read.problem(
        `${registration.name.toUpperCase()}_PORT: ${count} instances of ${registration.name} need ports up to ${Math.max(...all)}, past 65535: choose a lower port`,
      );
      return [];
    }
    const first = sampleSettings(read, registration, emulator, all[0] as number);
    const behindOneOrigin = read.origin(`${registration.name.toUpperCase()}_BASE_URL`);
    return all.map((port, index) => ({
      ...first,
      port,
      // Behind one public origin (a load balancer), every instance has its URL; otherwise each
      // its own port on localhost.
      baseUrl: behindOneOrigin ?? `http://localhost:${port}`,
      instance: { number: index + 1, of: all.length },
    }));
  });
}

function emulatorSettings(
  read: EnvironmentReader,
  registrations: readonly SampleRegistration[],
): EmulatorSettings {
  const host = read.host('EMULATOR_HOST', EMULATOR_HOST);
  const port = read.port('EMULATOR_PORT', EMULATOR_DEFAULTS.port);
  const graphPort = read.port('GRAPH_PORT', EMULATOR_DEFAULTS.graphPort);
  const key = read.emulatorKey('EMULATOR_KEY_FILE');
  return {
    host,
    port,
    graphPort,
    tenantId: read.guid('EMULATOR_TENANT_ID') ?? EMULATOR_DEFAULTS.tenantId,
    password: read.string('EMULATOR_PASSWORD') ?? EMULATOR_DEFAULTS.password,
    registeredSamples: registrations.map((registration) => ({
      registration,
      baseUrl: sampleBaseUrl(read, registration),
      clientSecret: key ? builtInClientSecret(key, registration.emulatorClientId) : '',
    })),
    extraApps: withoutClientIdClashes(
      read,
      registrations,
      read.appRegistrationsFile('EMULATOR_APPS'),
    ),
    frontChannelLogoutIncludesIss: read.boolean('EMULATOR_FRONTCHANNEL_ISS', false),
    logoutAutoContinue: read.boolean('EMULATOR_LOGOUT_AUTO_CONTINUE', false),
    generatedUsers: read.count('EMULATOR_GENERATED_USERS', 0, { max: 100_000 }),
    identityUrl: `http://${host}:${port}`,
    graphUrl: `http://${host}:${graphPort}`,
  };
}

function emulatorIdentity(emulator: EmulatorSettings): Omit<IdentitySettings, 'outboundTimeoutMs'> {
  return {
    mode: 'emulator',
    tenantId: emulator.tenantId,
    authority: `https://${emulator.host}:${emulator.port}/${emulator.tenantId}`,
    discoveryUrl: `${emulator.identityUrl}/${emulator.tenantId}/v2.0/.well-known/openid-configuration`,
    graphUrl: emulator.graphUrl,
  };
}

function entraIdentity(read: EnvironmentReader): Omit<IdentitySettings, 'outboundTimeoutMs'> {
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
  registration: SampleRegistration,
  emulator: EmulatorSettings | undefined,
  port: number,
): SampleSettings {
  const prefix = registration.name.toUpperCase();
  const mode = emulator ? 'emulator' : 'entra';
  let clientId = registration.emulatorClientId;
  // In the emulator, the secret this checkout's key gives the app (see emulator-key.ts).
  let clientSecret =
    emulator?.registeredSamples.find((sample) => sample.registration.name === registration.name)
      ?.clientSecret ?? '';
  if (mode === 'entra') {
    // Each sample may have its own app registration; otherwise they share ENTRA_CLIENT_*.
    const own = `${prefix}_CLIENT_ID`;
    clientId = read.guid(own) ?? read.guid('ENTRA_CLIENT_ID') ?? '';
    clientSecret =
      read.string(`${prefix}_CLIENT_SECRET`) ?? read.string('ENTRA_CLIENT_SECRET') ?? '';
    // "Required" only when nothing was given: a malformed value has its own message.
    if (read.string(own) === undefined && read.string('ENTRA_CLIENT_ID') === undefined) {
      read.problem(`ENTRA_CLIENT_ID (or ${own}) is required`);
    }
    if (!clientSecret) read.problem(`ENTRA_CLIENT_SECRET (or ${prefix}_CLIENT_SECRET) is required`);
  }
  const sessionSecrets = read.secrets('SESSION_SECRET');
  if (sessionSecrets === undefined && mode === 'entra') {
    read.problem('SESSION_SECRET is required with ENTRA_TENANT_ID (at least 32 random characters)');
  }
  return {
    name: registration.name,
    registration,
    clientId,
    clientSecret,
    port,
    baseUrl: read.origin(`${prefix}_BASE_URL`) ?? `http://localhost:${port}`,
    // Emulator mode without SESSION_SECRET: a fresh key per process (sessions end on restart).
    sessionKeys: sessionSecrets ?? [randomBytes(32).toString('base64url')],
    cacheInspector: read.boolean('CACHE_INSPECTOR', mode === 'emulator'),
    warmUsers: read.count('TOKEN_CACHE_WARM_USERS', WARM_USERS, { max: 1_000_000 }),
    instance: { number: 1, of: 1 },
  };
}

/** Where the sample is registered: its (first instance's) URL. */
function sampleBaseUrl(read: EnvironmentReader, registration: SampleRegistration): string {
  const prefix = registration.name.toUpperCase();
  const [port] = read.ports(`${prefix}_PORT`, registration.defaultPort);
  return read.origin(`${prefix}_BASE_URL`) ?? `http://localhost:${port}`;
}

/**
 * A client id is registered once, as in Entra: an EMULATOR_APPS entry that reuses a sample's, or
 * an earlier entry's, is a problem that names the entry and the app that has it.
 */
function withoutClientIdClashes(
  read: EnvironmentReader,
  registrations: readonly SampleRegistration[],
  extraApps: ConfiguredApp[],
): ConfiguredApp[] {
  const owners = new Map(
    registrations.map((registration) => [registration.emulatorClientId, registration.displayName]),
  );
  return extraApps.filter(({ app, source }) => {
    const owner = owners.get(app.clientId);
    if (owner) {
      read.problem(
        `${source}: client id ${app.clientId} is already registered, by "${owner}"; give this app its own`,
      );
      return false;
    }
    owners.set(app.clientId, app.displayName);
    return true;
  });
}

/** Two servers of this project cannot listen on one port: say which variables collide. */
function checkDistinctPorts(
  read: EnvironmentReader,
  samples: SampleSettings[],
  emulator: EmulatorSettings | undefined,
  landingPort: number | undefined,
): void {
  const ports = new Map<number, string>();
  const claim = (port: number, variable: string) => {
    const earlier = ports.get(port);
    if (earlier)
      read.problem(`${earlier} and ${variable} are both ${port}: give each its own port`);
    else ports.set(port, variable);
  };
  if (emulator) {
    claim(emulator.port, 'EMULATOR_PORT');
    claim(emulator.graphPort, 'GRAPH_PORT');
  }
  for (const { name, port, instance } of samples) {
    const variable = `${name.toUpperCase()}_PORT`;
    claim(port, instance.of > 1 ? `${variable} (instance ${instance.number})` : variable);
  }
  if (landingPort) claim(landingPort, 'LANDING_PORT');
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

  /** One port, or several separated by commas (one instance of a sample on each). */
  ports(name: string, fallback: number): number[] {
    const value = this.string(name);
    if (value === undefined) return [fallback];
    const ports = value.split(',').map((each) => Number(each.trim()));
    if (ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
      this.problem(
        `${name} must be a port number from 1 to 65535, or several separated by commas (got "${value}")`,
      );
      return [fallback];
    }
    return ports;
  }

  /**
   * Secrets: one, or several separated by commas — the first signs or seals, every one still
   * verifies or opens, so that a new secret can be put first while the old one is phased out.
   * Each at least 32 characters; a message never shows them.
   */
  secrets(name: string): string[] | undefined {
    const secrets = this.string(name)
      ?.split(',')
      .map((secret) => secret.trim());
    if (secrets?.some((secret) => secret.length < 32)) {
      this.problem(`${name} must be at least 32 characters long (each, when there are several)`);
      return undefined;
    }
    return secrets;
  }

  /** A `redis://` or `rediss://` URL; a message never shows it (it may hold a password). */
  redisUrl(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || !/^rediss?:$/.test(url.protocol) || !url.hostname) {
      this.problem(`${name} must be a redis:// or rediss:// URL, like redis://127.0.0.1:6379`);
      return undefined;
    }
    return value;
  }

  /** A whole number from 0 to `max`. */
  count(name: string, fallback: number, { max }: { max: number }): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const count = Number(value);
    if (!Number.isInteger(count) || count < 0 || count > max) {
      this.problem(`${name} must be a whole number from 0 to ${max} (got "${value}")`);
      return fallback;
    }
    return count;
  }

  /** A whole number of seconds from `min` to `max`. */
  seconds(name: string, fallback: number, { min, max }: { min: number; max: number }): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const seconds = Number(value);
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
      this.problem(
        `${name} must be a whole number of seconds from ${min} to ${max} (got "${value}")`,
      );
      return fallback;
    }
    return seconds;
  }

  guid(name: string): string | undefined {
    const value = this.string(name);
    if (value !== undefined && !guidPattern.test(value)) {
      this.problem(`${name} must be a GUID like 00000000-0000-0000-0000-000000000000`);
      return undefined;
    }
    return value?.toLowerCase();
  }

  /** A host name (`localhost`, a DNS name) or an IPv4 address, lower-cased. */
  host(name: string, fallback: string): string {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return fallback;
    const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
    const valid = ipv4
      ? ipv4.slice(1).every((part) => Number(part) <= 255)
      : /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(
          value,
        );
    if (!valid) {
      this.problem(
        `${name} must be a host name or an IPv4 address, like 127.0.0.1 (got "${value}")`,
      );
      return fallback;
    }
    return value;
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

  /**
   * The key the built-in apps' secrets in the emulator are derived from: read from the file `name`
   * names (by default `.emulator-key` in the checkout), made there the first time. Never printed.
   */
  emulatorKey(name: string): string | undefined {
    const file = this.string(name) ?? DEFAULT_EMULATOR_KEY_FILE;
    try {
      return readOrCreateEmulatorKey(file);
    } catch (error) {
      const reason =
        error instanceof KeyFileError
          ? error.message
          : ((error as NodeJS.ErrnoException).code ?? String(error));
      this.problem(`${name}: cannot read or make the emulator's key in "${file}" (${reason})`);
      return undefined;
    }
  }

  /** A JSON file holding an array of app registrations for the emulator. */
  appRegistrationsFile(name: string): ConfiguredApp[] {
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
      const source = `${name}: "${file}" entry ${index}`;
      const app = (entry ?? {}) as Record<string, unknown>;
      const isUrl = (value: unknown) =>
        typeof value === 'string' && URL.canParse(value) && /^https?:/.test(value);
      const before = this.problems.size;
      if (typeof app.clientId !== 'string' || !guidPattern.test(app.clientId)) {
        this.problem(`${source}: "clientId" must be a GUID`);
      }
      if (typeof app.clientSecret !== 'string' || app.clientSecret === '') {
        this.problem(`${source}: "clientSecret" must be a non-empty string`);
      }
      if (!Array.isArray(app.redirectUris) || app.redirectUris.length === 0) {
        this.problem(`${source}: "redirectUris" must be a non-empty array of URLs`);
      } else if (!app.redirectUris.every(isUrl)) {
        this.problem(`${source}: every entry of "redirectUris" must be an absolute http(s) URL`);
      }
      if (app.frontChannelLogoutUrl !== undefined && !isUrl(app.frontChannelLogoutUrl)) {
        this.problem(`${source}: "frontChannelLogoutUrl" must be an absolute http(s) URL`);
      }
      const claims = app.optionalClaims;
      if (
        claims !== undefined &&
        !(
          Array.isArray(claims) &&
          claims.every((claim) => claim === 'sid' || claim === 'login_hint')
        )
      ) {
        this.problem(`${source}: "optionalClaims" must be an array of "sid" and "login_hint"`);
      }
      const permissions = app.apiPermissions;
      const known = GRAPH_PERMISSIONS.map((permission) => permission.toLowerCase());
      if (
        permissions !== undefined &&
        !(
          Array.isArray(permissions) &&
          permissions.every((p) => typeof p === 'string' && known.includes(p.toLowerCase()))
        )
      ) {
        const names = GRAPH_PERMISSIONS.map((permission) => `"${permission}"`).join(', ');
        this.problem(`${source}: "apiPermissions" must be an array of ${names}`);
      }
      const idTokens = app.enableIdTokenIssuance;
      if (idTokens !== undefined && typeof idTokens !== 'boolean') {
        this.problem(`${source}: "enableIdTokenIssuance" must be true or false`);
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
      if (Array.isArray(claims))
        registration.optionalClaims = claims as Array<'sid' | 'login_hint'>;
      if (Array.isArray(permissions)) registration.apiPermissions = permissions as string[];
      if (idTokens === true) registration.enableIdTokenIssuance = true;
      return [{ app: registration, source }];
    });
  }
}
