/**
 * The settings every command runs with, assembled from the environment (and a `.env` file): the
 * one place that reads configuration. The variables are declared in schema.ts and read by
 * environment.ts; this file decides what they make together — the mode, each sample's instances
 * and credentials, the emulator's registrations — and what no single variable can check (two
 * servers on one port, a credential missing). Everything is validated at start-up, every problem
 * of every sample is reported at once by variable name, and secret values never appear in a
 * message.
 *
 * Two modes: `emulator` (the default: no tenant configured, everything local) and `entra`
 * (ENTRA_TENANT_ID is set: a real Microsoft Entra ID tenant and the real Microsoft Graph).
 */

import { randomBytes } from 'node:crypto';
import type { IdentityPlatformSettings } from '../core/settings.ts';
import type { SampleRegistration } from '../sample/registration.ts';
import { type ConfiguredApp, readEmulatorApps } from './emulator-apps-file.ts';
import {
  builtInClientSecret,
  DEFAULT_EMULATOR_KEY_FILE,
  KeyFileError,
  readOrCreateEmulatorKey,
} from './emulator-key.ts';
import { type Environment, EnvironmentReader, readEnvironment } from './environment.ts';
import { sampleVariable } from './schema.ts';

// What other modules import from here, wherever it is defined.
export type { ConfiguredApp } from './emulator-apps-file.ts';
export { ConfigurationError, type Environment, readEnvironment } from './environment.ts';
export { EMULATOR_HOST, WARM_USERS } from './schema.ts';

export interface IdentitySettings extends IdentityPlatformSettings {
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
  /** REDIS_URL: one Redis (with or without replicas). */
  url?: string;
  /** REDIS_CLUSTER_NODES: the seed nodes of a Redis Cluster, instead. */
  clusterNodes?: string[];
  /** REDIS_ENCRYPTION_KEY: the first seals what is stored, all open it. */
  encryptionKeys: string[];
  /** How long a command or a connection may take before the page says Redis is not available. */
  timeoutMs: number;
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
    /** Where it runs: its URL, then those of its other instances (each registered, as in Entra). */
    baseUrls: string[];
    clientSecret: string;
  }>;
  /** Apps registered beside the samples (EMULATOR_APPS), none reusing a client id. */
  extraApps: ConfiguredApp[];
  frontChannelLogoutIncludesIss: boolean;
  /** EMULATOR_LOGOUT_AUTO_CONTINUE: the sign-out page continues by itself, as Entra's does. */
  logoutAutoContinue: boolean;
  /** Users beyond the demo users (EMULATOR_GENERATED_USERS): `loaduser00001@…`, for load runs. */
  generatedUsers: number;
  /** EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS: ordinary access tokens, above msal's 5-minute margin. */
  accessTokenLifetimeSeconds: number;
  /** EMULATOR_CAE_ACCESS_TOKEN_LIFETIME_SECONDS: access tokens of apps that declare `cp1`. */
  caeAccessTokenLifetimeSeconds: number;
  /** EMULATOR_CRITICAL_EVENT_DELAY_SECONDS: how long a critical event takes to reach the API. */
  criticalEventDelaySeconds: number;
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

export interface LoadOptions {
  /** The names of the samples to run (default: all); only theirs need Entra ID credentials. */
  run?: readonly string[];
  /** Also read LANDING_PORT (`npm start`). */
  landing?: boolean;
  /**
   * How many instances of a sample to run (`--instances N`), unless its `<SAMPLE>_PORT` lists the
   * ports of several. The second and later listen on the next ports up from the sample's own that
   * no other sample or instance of this command uses: consecutive, for one sample.
   */
  instances?: Readonly<Record<string, number>>;
  /** The same, only when REDIS_URL is set (`npm start`: two instances of aspnetcore). */
  instancesWithRedis?: Readonly<Record<string, number>>;
}

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
  const emulator =
    read.given('ENTRA_TENANT_ID') !== undefined ? undefined : emulatorSettings(read, registrations);
  const identity = {
    ...(emulator ? emulatorIdentity(emulator) : entraIdentity(read)),
    outboundTimeoutMs: read.get('OUTBOUND_TIMEOUT_SECONDS') * 1000,
  };
  const redis = redisSettings(read, identity.mode);
  const samples = sampleInstances(
    read,
    registrations.filter((registration) => !run || run.includes(registration.name)),
    emulator,
    { ...(redis ? instancesWithRedis : {}), ...instances },
    redis !== undefined,
  );
  // Registered whether or not this command has REDIS_URL: an `npm start` in another terminal may.
  if (emulator)
    registerInstanceUrls(read, emulator, samples, { ...instancesWithRedis, ...instances });
  const landingPort = landing ? read.get('LANDING_PORT') : undefined;
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
  const url = read.get('REDIS_URL');
  const clusterNodes = read.get('REDIS_CLUSTER_NODES');
  const keys = read.get('REDIS_ENCRYPTION_KEY');
  if (url === undefined && clusterNodes === undefined) return undefined;
  const variable = url === undefined ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
  if (url !== undefined && clusterNodes !== undefined) {
    read.problem(
      'REDIS_URL and REDIS_CLUSTER_NODES are both set: give one Redis (REDIS_URL) or the nodes of a Redis Cluster (REDIS_CLUSTER_NODES), not both',
    );
  }
  if (keys === undefined && mode === 'entra') {
    read.problem(
      `REDIS_ENCRYPTION_KEY is required with ${variable} and ENTRA_TENANT_ID (at least 32 random characters): it encrypts the tokens and sessions stored in Redis`,
    );
  }
  return {
    ...(url !== undefined ? { url } : { clusterNodes: clusterNodes as string[] }),
    // Emulator mode without a key: a fresh one per process (what another process stored does not open).
    encryptionKeys: keys ?? [randomBytes(32).toString('base64url')],
    timeoutMs: REDIS_TIMEOUT_MS,
  };
}

/**
 * One {@link SampleSettings} per instance to run: as many as `<SAMPLE>_PORT` lists ports, or as
 * asked for, the extra ones on the next ports up from the sample's own that none of these samples
 * uses. Several instances share their state through Redis, and need it.
 */
function sampleInstances(
  read: EnvironmentReader,
  registrations: readonly SampleRegistration[],
  emulator: EmulatorSettings | undefined,
  requested: Readonly<Record<string, number>>,
  hasRedis: boolean,
): SampleSettings[] {
  const planned = registrations.map((registration) => {
    const variable = sampleVariable('<SAMPLE>_PORT', registration);
    const ports = read.getForSample('<SAMPLE>_PORT', registration);
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
    return { registration, variable, ports, count };
  });
  const ports = instancePorts(planned);
  return planned.flatMap(({ registration, variable, count }, index) => {
    const all = ports[index] as number[];
    if (all.some((port) => port > 65535)) {
      read.problem(
        `${variable}: ${count} instances of ${registration.name} need ports up to ${Math.max(...all)}, past 65535: choose a lower port`,
      );
      return [];
    }
    const first = sampleSettings(read, registration, emulator, all[0] as number);
    const behindOneOrigin = read.getForSample('<SAMPLE>_BASE_URL', registration);
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

/**
 * The ports of each sample's instances: those its `<SAMPLE>_PORT` lists, then, for the extra ones,
 * the next ports up from its own that no other sample of this command has (with the five samples,
 * aspnetcore's second instance is on 3005, clear of node's 3006).
 */
function instancePorts(planned: ReadonlyArray<{ ports: number[]; count: number }>): number[][] {
  const taken = new Set(planned.flatMap(({ ports }) => ports));
  return planned.map(({ ports, count }) => {
    const all = [...ports];
    let next = Math.max(...ports);
    while (all.length < count) {
      next += 1;
      if (taken.has(next)) continue;
      taken.add(next);
      all.push(next);
    }
    return all;
  });
}

/**
 * Where the emulator registers each sample: at the URL of every instance it may run at, as a user
 * registers each URL at Entra. Those of this command's instances, and those `npm start` would run
 * at with `REDIS_URL` (so that an emulator started on its own, `npm run emulator`, knows them too,
 * with or without REDIS_URL in its terminal). Only a sample started with `--instances` in another
 * terminal can run where the emulator does not know: that instance's post-logout redirect URI is
 * then not followed.
 */
function registerInstanceUrls(
  read: EnvironmentReader,
  emulator: { registeredSamples: Array<{ registration: SampleRegistration; baseUrls: string[] }> },
  samples: readonly SampleSettings[],
  requested: Readonly<Record<string, number>>,
): void {
  const planned = emulator.registeredSamples.map(({ registration }) => {
    const ports = read.getForSample('<SAMPLE>_PORT', registration);
    return { ports, count: ports.length > 1 ? ports.length : (requested[registration.name] ?? 1) };
  });
  instancePorts(planned).forEach((ports, index) => {
    const registered = emulator.registeredSamples[index];
    if (!registered) return;
    const { registration } = registered;
    const origin = read.getForSample('<SAMPLE>_BASE_URL', registration);
    const running = samples.filter(({ name }) => name === registration.name);
    registered.baseUrls = [
      ...new Set([
        ...registered.baseUrls,
        ...ports
          .filter((port) => port <= 65535)
          .map((port) => origin ?? `http://localhost:${port}`),
        ...running.map(({ baseUrl }) => baseUrl),
      ]),
    ];
  });
}

/** What `npm run register` reads: where each sample runs, and where the emulator answers. */
export interface RegistrationSettings {
  /** Each sample's registration, and every URL it may run at: what the emulator registers too. */
  samples: Array<{ registration: SampleRegistration; baseUrls: string[] }>;
  emulator: Pick<EmulatorSettings, 'identityUrl' | 'graphUrl' | 'tenantId' | 'password'>;
  outboundTimeoutMs: number;
}

/**
 * The settings `npm run register` needs, read as `npm start` reads them: every URL a sample may
 * run at (its own and its instances', as the emulator registers them), and the emulator's address.
 */
export function registrationSettings(
  registrations: readonly SampleRegistration[],
  env: Environment,
  instancesWithRedis: Readonly<Record<string, number>>,
): RegistrationSettings {
  const read = new EnvironmentReader(env);
  const samples = registrations.map((registration) => ({
    registration,
    baseUrls: [sampleBaseUrl(read, registration)],
  }));
  registerInstanceUrls(read, { registeredSamples: samples }, [], instancesWithRedis);
  // The emulator listens on 127.0.0.1 whatever EMULATOR_HOST says: the samples reach it there as
  // a tenant (an http ENTRA_INSTANCE must name this machine), its pages keep EMULATOR_HOST.
  const emulator = {
    identityUrl: `http://127.0.0.1:${read.get('EMULATOR_PORT')}`,
    graphUrl: `http://127.0.0.1:${read.get('GRAPH_PORT')}`,
    tenantId: read.get('EMULATOR_TENANT_ID'),
    password: read.get('EMULATOR_PASSWORD'),
  };
  const outboundTimeoutMs = read.get('OUTBOUND_TIMEOUT_SECONDS') * 1000;
  read.throwIfProblems();
  return { samples, emulator, outboundTimeoutMs };
}

function emulatorSettings(
  read: EnvironmentReader,
  registrations: readonly SampleRegistration[],
): EmulatorSettings {
  const host = read.get('EMULATOR_HOST');
  const port = read.get('EMULATOR_PORT');
  const graphPort = read.get('GRAPH_PORT');
  const key = emulatorKey(read);
  return {
    host,
    port,
    graphPort,
    tenantId: read.get('EMULATOR_TENANT_ID'),
    password: read.get('EMULATOR_PASSWORD'),
    registeredSamples: registrations.map((registration) => ({
      registration,
      baseUrls: [sampleBaseUrl(read, registration)],
      clientSecret: key ? builtInClientSecret(key, registration.emulatorClientId) : '',
    })),
    extraApps: readEmulatorApps(read.get('EMULATOR_APPS'), registrations, (message) =>
      read.problem(message),
    ),
    frontChannelLogoutIncludesIss: read.get('EMULATOR_FRONTCHANNEL_ISS'),
    logoutAutoContinue: read.get('EMULATOR_LOGOUT_AUTO_CONTINUE'),
    generatedUsers: read.get('EMULATOR_GENERATED_USERS'),
    accessTokenLifetimeSeconds: read.get('EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS'),
    caeAccessTokenLifetimeSeconds: read.get('EMULATOR_CAE_ACCESS_TOKEN_LIFETIME_SECONDS'),
    criticalEventDelaySeconds: read.get('EMULATOR_CRITICAL_EVENT_DELAY_SECONDS'),
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
  const tenantId = read.get('ENTRA_TENANT_ID') ?? '';
  const instance = read.get('ENTRA_INSTANCE');
  const graphUrl = read.get('GRAPH_URL');
  // The client secret and the users' tokens go there: in plain http only on this machine.
  for (const [name, url] of [
    ['ENTRA_INSTANCE', instance],
    ['GRAPH_URL', graphUrl],
  ] as const) {
    const problem = plainHttpElsewhere(name, url);
    if (problem) read.problem(problem);
  }
  return {
    mode: 'entra',
    tenantId,
    // msal refuses an http authority: an http instance (the emulator playing a tenant, after
    // `npm run register -- --emulator`) is named by an https identifier, as in emulator mode; msal
    // calls the endpoints of the discovery document, fetched from the instance itself.
    authority: `${instance.replace(/^http:/, 'https:')}/${tenantId}`,
    discoveryUrl: `${instance}/${tenantId}/v2.0/.well-known/openid-configuration`,
    discoveryHint: 'is ENTRA_TENANT_ID right?',
    graphUrl,
  };
}

/**
 * What is wrong with `url` as `name` (ENTRA_INSTANCE, GRAPH_URL): plain http to another machine,
 * where secrets and tokens go. `undefined` for https, or http to `localhost`, `127.0.0.1`, `[::1]`.
 */
export function plainHttpElsewhere(name: string, url: string): string | undefined {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:' || ['localhost', '127.0.0.1', '[::1]'].includes(hostname)) {
    return undefined;
  }
  return `${name} must be https (http only on this machine: localhost, 127.0.0.1 or [::1]), not ${url}`;
}

function sampleSettings(
  read: EnvironmentReader,
  registration: SampleRegistration,
  emulator: EmulatorSettings | undefined,
  port: number,
): SampleSettings {
  const mode = emulator ? 'emulator' : 'entra';
  let clientId = registration.emulatorClientId;
  // In the emulator, the secret this checkout's key gives the app (see emulator-key.ts).
  let clientSecret =
    emulator?.registeredSamples.find((sample) => sample.registration.name === registration.name)
      ?.clientSecret ?? '';
  if (mode === 'entra') {
    // Each sample may have its own app registration; otherwise they share ENTRA_CLIENT_*.
    clientId =
      read.getForSample('<SAMPLE>_CLIENT_ID', registration) ?? read.get('ENTRA_CLIENT_ID') ?? '';
    clientSecret =
      read.getForSample('<SAMPLE>_CLIENT_SECRET', registration) ??
      read.get('ENTRA_CLIENT_SECRET') ??
      '';
    // "Required" only when nothing was given: a malformed value has its own message.
    if (
      read.given('<SAMPLE>_CLIENT_ID', registration) === undefined &&
      read.given('ENTRA_CLIENT_ID') === undefined
    ) {
      const own = sampleVariable('<SAMPLE>_CLIENT_ID', registration);
      read.problem(`ENTRA_CLIENT_ID (or ${own}) is required`);
    }
    if (!clientSecret) {
      const own = sampleVariable('<SAMPLE>_CLIENT_SECRET', registration);
      read.problem(`ENTRA_CLIENT_SECRET (or ${own}) is required`);
    }
  }
  const sessionSecrets = read.get('SESSION_SECRET');
  if (sessionSecrets === undefined && mode === 'entra') {
    read.problem('SESSION_SECRET is required with ENTRA_TENANT_ID (at least 32 random characters)');
  }
  return {
    name: registration.name,
    registration,
    clientId,
    clientSecret,
    port,
    baseUrl: read.getForSample('<SAMPLE>_BASE_URL', registration) ?? `http://localhost:${port}`,
    // Emulator mode without SESSION_SECRET: a fresh key per process (sessions end on restart).
    sessionKeys: sessionSecrets ?? [randomBytes(32).toString('base64url')],
    cacheInspector: read.get('CACHE_INSPECTOR') ?? mode === 'emulator',
    warmUsers: read.get('TOKEN_CACHE_WARM_USERS'),
    instance: { number: 1, of: 1 },
  };
}

/** Where the sample is registered: its (first instance's) URL. */
function sampleBaseUrl(read: EnvironmentReader, registration: SampleRegistration): string {
  const [port] = read.getForSample('<SAMPLE>_PORT', registration);
  return read.getForSample('<SAMPLE>_BASE_URL', registration) ?? `http://localhost:${port}`;
}

/**
 * The key the built-in apps' secrets in the emulator are derived from: read from the file
 * EMULATOR_KEY_FILE names (by default `.emulator-key` in the checkout), made there the first time.
 * Never printed.
 */
function emulatorKey(read: EnvironmentReader): string | undefined {
  const file = read.get('EMULATOR_KEY_FILE') ?? DEFAULT_EMULATOR_KEY_FILE;
  try {
    return readOrCreateEmulatorKey(file);
  } catch (error) {
    const reason =
      error instanceof KeyFileError
        ? error.message
        : ((error as NodeJS.ErrnoException).code ?? String(error));
    read.problem(
      `EMULATOR_KEY_FILE: cannot read or make the emulator's key in "${file}" (${reason})`,
    );
    return undefined;
  }
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
  for (const { registration, port, instance } of samples) {
    const variable = sampleVariable('<SAMPLE>_PORT', registration);
    claim(port, instance.of > 1 ? `${variable} (instance ${instance.number})` : variable);
  }
  if (landingPort) claim(landingPort, 'LANDING_PORT');
}
