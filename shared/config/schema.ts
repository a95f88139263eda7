/**
 * Every environment variable the project reads, declared once: its name, the type of its value
 * (and its range, for a whole number), its default, the mode that reads it and what it does.
 * environment.ts reads and checks each one by this declaration, settings.ts assembles the settings
 * from the values, and docs/configuration.md's table of variables is written from this list
 * (`npm run docs:config`; test/config-schema.test.ts fails when the page says something else), so
 * that the page cannot promise a default or a range the code does not have.
 *
 * The entries are in the order of that table.
 */
import { EMULATOR_DEFAULTS } from '../../emulator/index.ts';
import type { SampleRegistration } from '../sample/registration.ts';

/** Which mode reads a variable: emulator mode, Entra ID mode (ENTRA_TENANT_ID set), or both. */
export type Mode = 'emulator' | 'entra' | 'both';

/** The types of values, and what reading each gives: environment.ts has a reader for each. */
export interface Values {
  /** Anything; blanks around it are trimmed. */
  text: string;
  /** A file's path. */
  file: string;
  port: number;
  /** One port, or several separated by commas: one instance of a sample on each. */
  ports: number[];
  /** A whole number within the variable's range. */
  count: number;
  /** A whole number of seconds within the variable's range. */
  seconds: number;
  /** on/off (or true/false, yes/no, 1/0). */
  boolean: boolean;
  guid: string;
  /** A tenant's id (a GUID) or one of its domain names. */
  tenant: string;
  /** A host name or an IPv4 address. */
  host: string;
  /** An http(s) URL with no path. */
  origin: string;
  /** Secrets of at least 32 characters, separated by commas: the first is used, all accepted. */
  secrets: string[];
  'redis-url': string;
  /** `redis://` URLs separated by commas. */
  'redis-urls': string[];
}

export type Type = keyof Values;

/** The smallest and largest values a whole number may take. */
export interface Range {
  min: number;
  max: number;
}

interface Declared {
  /**
   * The variable's name; `<SAMPLE>_…` is one variable per sample, `<SAMPLE>` its name in upper
   * case (`ASPNETCORE_PORT`).
   */
  name: string;
  mode: Mode;
  /**
   * The value when it is unset, or set wrong (the problem is reported, and start-up stops). None:
   * the value is `undefined`, and settings.ts decides (see `defaultText`).
   */
  default?: string | number | boolean;
  /** A `<SAMPLE>_…` variable's default, the sample's own. */
  sampleDefault?: (registration: SampleRegistration) => Values[Type];
  /** The default in words, where settings.ts decides it (by mode, made at random…). */
  defaultText?: string;
  /** Its value never appears in a message. */
  secret?: boolean;
  /** What it does, in Markdown, as the table of docs/configuration.md says it. */
  description: string;
}

/** A declaration: a whole number (count, seconds) has a range; a port's is its type's. */
export type Variable = Declared &
  ({ type: 'count' | 'seconds'; range: Range } | { type: Exclude<Type, 'count' | 'seconds'> });

/**
 * Where the emulator is reached by default: 127.0.0.1, another site than the samples'
 * `localhost`, so that the identity platform is cross-site as Entra (login.microsoftonline.com) is
 * — its form_post back is a cross-site POST, and today's browsers send the samples' cookies into
 * neither that nor its front-channel iframes. Both names are secure contexts in browsers, so the
 * sign-in cookie can be SameSite=None; Secure over plain http.
 */
export const EMULATOR_HOST = '127.0.0.1';

/** How many users' access tokens a sample's process remembers, by default (see docs/performance.md). */
export const WARM_USERS = 10_000;

export const variables = [
  {
    name: 'ENTRA_TENANT_ID',
    type: 'tenant',
    mode: 'entra',
    description:
      'selects Entra mode: the tenant whose identity platform and Microsoft Graph the samples use',
  },
  {
    name: 'ENTRA_CLIENT_ID',
    type: 'guid',
    mode: 'entra',
    defaultText: '— (required for each sample that runs, unless it has its own)',
    description: "the app registration's client id, shared by the samples",
  },
  {
    name: 'ENTRA_CLIENT_SECRET',
    type: 'text',
    mode: 'entra',
    secret: true,
    defaultText: '— (required, likewise)',
    description: 'its client secret',
  },
  {
    name: '<SAMPLE>_CLIENT_ID',
    type: 'guid',
    mode: 'entra',
    defaultText: '`ENTRA_CLIENT_ID`',
    description: "a sample's own app registration's client id, e.g. `ASPNETCORE_CLIENT_ID`",
  },
  {
    name: '<SAMPLE>_CLIENT_SECRET',
    type: 'text',
    mode: 'entra',
    secret: true,
    defaultText: '`ENTRA_CLIENT_SECRET`',
    description: 'its client secret',
  },
  {
    name: 'SESSION_SECRET',
    type: 'secrets',
    mode: 'both',
    secret: true,
    defaultText: 'required in Entra mode; a random key per process in emulator mode',
    description:
      'signs the session cookies and seals the sign-in cookie. Several, separated by commas, to ' +
      'rotate: the first signs and seals, all still verify and open',
  },
  {
    name: 'ENTRA_INSTANCE',
    type: 'origin',
    mode: 'entra',
    default: 'https://login.microsoftonline.com',
    description:
      "the cloud instance (national clouds); `npm run register -- --emulator` writes the emulator's",
  },
  {
    name: 'GRAPH_URL',
    type: 'origin',
    mode: 'entra',
    default: 'https://graph.microsoft.com',
    description:
      "Microsoft Graph's base URL; `npm run register -- --emulator` writes the emulator's Graph-like API's",
  },
  {
    // At most a minute: a request makes at most four calls in a row, so it ends well within the
    // five minutes a sign-out's removal markers live (see shared/core/store/key-value-store.ts).
    name: 'OUTBOUND_TIMEOUT_SECONDS',
    type: 'seconds',
    range: { min: 1, max: 60 },
    mode: 'both',
    default: 10,
    description:
      'how long a sample waits for the identity platform or Graph; then it shows a 503 page ' +
      '([reliability](reliability.md#when-a-service-fails))',
  },
  {
    name: 'CACHE_INSPECTOR',
    type: 'boolean',
    mode: 'both',
    defaultText: '`on` in emulator mode, `off` in Entra mode',
    description: 'serves `/cache`',
  },
  {
    name: '<SAMPLE>_PORT',
    type: 'ports',
    mode: 'both',
    sampleDefault: (registration) => [registration.defaultPort],
    description:
      'the port the sample listens on (127.0.0.1); several, separated by commas, run one ' +
      'instance on each (with `REDIS_URL`)',
  },
  {
    name: '<SAMPLE>_BASE_URL',
    type: 'origin',
    mode: 'both',
    defaultText: '`http://localhost:<port>`',
    description:
      "the sample's public origin; redirect URIs are built from it. Its host and the loopback " +
      'names are the only `Host`s the sample answers (421 otherwise). With an `https://` origin ' +
      'the sample expects a TLS-terminating proxy (it trusts `X-Forwarded-Proto`, and ' +
      '`X-Forwarded-Host`, every entry of which must name an allowed host too) and marks cookies ' +
      "`Secure`; the proxy must write `X-Forwarded-Host` itself, not pass the browser's through " +
      '([why](reliability.md#other-sites-the-browser-and-screenshots))',
  },
  {
    name: 'LANDING_PORT',
    type: 'port',
    mode: 'both',
    default: 3000,
    description: 'the landing page of `npm start` (read by `npm start` only)',
  },
  {
    name: 'TOKEN_CACHE_WARM_USERS',
    type: 'count',
    range: { min: 0, max: 1_000_000 },
    mode: 'both',
    default: WARM_USERS,
    description:
      'for how many users aspnetcore and aspnet remember, in each process, the access tokens ' +
      'msal gave them, and, with `REDIS_URL`, how many partitions node-redis keeps a copy of (the ' +
      'first level of the token cache: about 1.6 KB of heap a user, and 5.6 KB a partition copy, ' +
      '[measured](performance.md)); `0` for none',
  },
  {
    name: 'REDIS_URL',
    type: 'redis-url',
    mode: 'both',
    // It may hold a password.
    secret: true,
    defaultText: '— (memory)',
    description:
      "sessions, the `sid` index and aspnetcore's token partitions go to Redis, shared by every " +
      'instance of a sample ([several instances](redis.md)). Its password is never printed',
  },
  {
    name: 'REDIS_CLUSTER_NODES',
    type: 'redis-urls',
    mode: 'both',
    // They may hold a password.
    secret: true,
    defaultText: '—',
    description:
      'instead of `REDIS_URL` (not with it): seed nodes of a Redis Cluster, which the client ' +
      "discovers the rest from; the first URL's user, password and `rediss:` apply to every node. " +
      'Every key a sign-out step names must share a slot ([On a Redis Cluster](redis.md#on-a-redis-cluster))',
  },
  {
    name: 'REDIS_ENCRYPTION_KEY',
    type: 'secrets',
    mode: 'both',
    secret: true,
    defaultText:
      'required with `REDIS_URL` or `REDIS_CLUSTER_NODES` in Entra mode; a random key per process in emulator mode',
    description:
      'encrypts every value stored in Redis (AES-256-GCM). Several, separated by commas, to ' +
      'rotate: the first seals, all open',
  },
  {
    name: 'EMULATOR_HOST',
    type: 'host',
    mode: 'emulator',
    default: EMULATOR_HOST,
    description:
      'the host name apps and browsers reach the emulator at; it listens on 127.0.0.1, which the ' +
      'name must lead to, and answers only this name and the loopback names (421 otherwise). The ' +
      'default puts it on another site than the samples (`localhost`), as Entra is; `localhost` ' +
      'puts it on theirs, where a browser sends their cookies into its iframes',
  },
  {
    name: 'EMULATOR_PORT',
    type: 'port',
    mode: 'emulator',
    default: EMULATOR_DEFAULTS.port,
    description: 'the emulated identity platform',
  },
  {
    name: 'GRAPH_PORT',
    type: 'port',
    mode: 'emulator',
    default: EMULATOR_DEFAULTS.graphPort,
    description: 'the Graph-like API',
  },
  {
    name: 'EMULATOR_TENANT_ID',
    type: 'guid',
    mode: 'emulator',
    default: EMULATOR_DEFAULTS.tenantId,
    description: "the emulated tenant's id",
  },
  {
    name: 'EMULATOR_PASSWORD',
    type: 'text',
    mode: 'emulator',
    secret: true,
    default: EMULATOR_DEFAULTS.password,
    description: 'the password of every demo user',
  },
  {
    name: 'EMULATOR_APPS',
    type: 'file',
    mode: 'emulator',
    description:
      'a JSON file with more app registrations ([below](#registering-your-own-app-in-the-emulator))',
  },
  {
    name: 'EMULATOR_KEY_FILE',
    type: 'file',
    mode: 'emulator',
    defaultText: '`.emulator-key` at the root of the checkout',
    description:
      "the file of the key the samples' client secrets in the emulator are derived from, made " +
      'there the first time ([below](#the-samples-client-secrets-in-the-emulator))',
  },
  {
    name: 'EMULATOR_GENERATED_USERS',
    type: 'count',
    range: { min: 0, max: 100_000 },
    mode: 'emulator',
    default: 0,
    description:
      'users beyond the three demo users, `loaduser00001@…`, with the same password: for load ' +
      'runs and benchmarks',
  },
  {
    name: 'EMULATOR_FRONTCHANNEL_ISS',
    type: 'boolean',
    mode: 'emulator',
    default: false,
    description:
      "`on`: front-channel logout URLs get `iss` as well as `sid` (the OpenID Connect spec's " +
      "way); `off`: `sid` only (Entra's way)",
  },
  {
    name: 'EMULATOR_LOGOUT_AUTO_CONTINUE',
    type: 'boolean',
    mode: 'emulator',
    default: false,
    description:
      '`on`: the sign-out page goes on to the app by itself once every front-channel frame has ' +
      "loaded (or after 5 s), as Entra's does; `off`: it stays, showing each app and what its " +
      'frame answered, until you press Continue',
  },
  {
    // msal renews an access token 5 minutes before it expires: a shorter one is never served from
    // its cache, and every API call would redeem the refresh token. Refused rather than surprising.
    name: 'EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS',
    type: 'seconds',
    range: { min: 301, max: 86_400 },
    mode: 'emulator',
    default: EMULATOR_DEFAULTS.accessTokenLifetimeSeconds,
    description:
      "the lifetime of ordinary access tokens (Entra's are about an hour): a short one lets you " +
      'watch a sample redeem its refresh token. Above 300 s, because msal renews a token 5 ' +
      'minutes before it expires: a shorter one would never be served from its cache',
  },
  {
    name: 'EMULATOR_CAE_ACCESS_TOKEN_LIFETIME_SECONDS',
    type: 'seconds',
    range: { min: 301, max: 100_800 },
    mode: 'emulator',
    default: EMULATOR_DEFAULTS.caeAccessTokenLifetimeSeconds,
    description:
      'the lifetime of CAE access tokens, those of an app that declares the client capability ' +
      "`cp1`, which the Graph-like API evaluates against critical events (Entra's reach 28 hours)",
  },
  {
    name: 'EMULATOR_CRITICAL_EVENT_DELAY_SECONDS',
    type: 'seconds',
    range: { min: 0, max: 900 },
    mode: 'emulator',
    default: EMULATOR_DEFAULTS.criticalEventDelaySeconds,
    description:
      'how long a critical event (sessions revoked, account disabled, password reset) takes to ' +
      "reach the Graph-like API, which then refuses older CAE access tokens (Entra's take up to " +
      '15 minutes)',
  },
  {
    name: 'ENV_FILE',
    type: 'file',
    mode: 'both',
    default: '.env',
    description:
      'a file of `NAME=value` lines read under the environment (the environment wins), itself ' +
      'set in the environment; the default is read if the working directory has it, a file ' +
      'named here must exist',
  },
] as const satisfies readonly Variable[];

/** Every variable's name, `<SAMPLE>_…` ones as such. */
export type VariableName = (typeof variables)[number]['name'];
/** The variables of one sample, `<SAMPLE>_…`. */
export type SampleVariableName = Extract<VariableName, `<SAMPLE>_${string}`>;
/** The variables of the project. */
export type ProjectVariableName = Exclude<VariableName, SampleVariableName>;

type Declaration<N extends VariableName> = Extract<(typeof variables)[number], { name: N }>;

/**
 * What reading a variable gives, by its declaration: a value of its type, or `undefined` when it
 * has no default and is unset or set wrong. So `read.get('EMULATOR_PORT')` is a number, and a
 * name not declared here does not compile.
 */
export type ValueOf<N extends VariableName> =
  Declaration<N> extends { default: unknown } | { sampleDefault: unknown }
    ? Values[Declaration<N>['type']]
    : Values[Declaration<N>['type']] | undefined;

/** A `<SAMPLE>_…` variable's name for one sample: `<SAMPLE>_PORT` → `ASPNETCORE_PORT`. */
export function sampleVariable(name: SampleVariableName, registration: SampleRegistration): string {
  return name.replace('<SAMPLE>', registration.name.toUpperCase());
}
