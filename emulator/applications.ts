/**
 * Applications registered at run time through the Graph-like API (`graph-applications.ts`), as
 * Microsoft Graph's `application` resource: what is stored, how a request's properties are checked
 * (Entra's rules), and how such an application signs in at the identity platform, at once, as a
 * registered app (`findApp` in `state.ts`). In memory only: gone when the emulator stops. Its
 * client secrets (`passwordCredentials`) are kept here and shown once, by `addPassword`.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { GRAPH_APP_ID } from './directory.ts';
import { GRAPH_PERMISSION_IDS } from './scopes.ts';
import { safeEqual } from './secrets.ts';
import type { AppRegistration } from './types.ts';

/**
 * Applications the emulator holds at most, those in deleted items included; beyond, a create is
 * refused (400).
 */
export const MAX_APPLICATIONS = 500;
/** Password credentials per application at most; beyond, `addPassword` is refused (400). */
export const MAX_PASSWORD_CREDENTIALS = 20;
/** Entra's limits on redirect URIs: how many per application, how long each. */
const MAX_REDIRECT_URIS = 256;
const MAX_URI_LENGTH = 256;
const MAX_TEXT_LENGTH = 256;
const MAX_NOTES_LENGTH = 1024;
const MAX_TAGS = 100;
const TWO_YEARS_MS = 2 * 365.25 * 24 * 60 * 60 * 1000;

export const SIGN_IN_AUDIENCES = [
  'AzureADMyOrg',
  'AzureADMultipleOrgs',
  'AzureADandPersonalMicrosoftAccount',
  'PersonalMicrosoftAccount',
] as const;

/** The optional id token claims the identity platform acts on (`AppRegistration.optionalClaims`). */
const ACTED_ON_CLAIMS = ['sid', 'login_hint'] as const;

export interface OptionalClaim {
  name: string;
  source: string | null;
  essential: boolean;
  additionalProperties: string[];
}

export interface Web {
  redirectUris: string[];
  logoutUrl: string | null;
  homePageUrl: string | null;
  implicitGrantSettings: { enableIdTokenIssuance: boolean; enableAccessTokenIssuance: boolean };
}

export interface OptionalClaims {
  idToken: OptionalClaim[];
  accessToken: OptionalClaim[];
  saml2Token: OptionalClaim[];
}

export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: Array<{ id: string; type: 'Scope' }>;
}

/** The properties a PATCH may set. */
export interface Writable {
  displayName: string;
  signInAudience: (typeof SIGN_IN_AUDIENCES)[number];
  tags: string[];
  notes: string | null;
  web: Web;
  optionalClaims: OptionalClaims;
  requiredResourceAccess: RequiredResourceAccess[];
}

export interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  /** The first three characters of the secret: what Graph shows of it afterwards. */
  hint: string;
  startDateTime: string;
  endDateTime: string;
  /** The secret itself: never in an answer but `addPassword`'s. */
  secret: string;
}

export interface ServicePrincipal {
  id: string;
  /** The application's unless set. */
  displayName?: string;
  accountEnabled: boolean;
  appRoleAssignmentRequired: boolean;
  tags: string[];
}

export interface Application extends Writable {
  /** The object id. */
  id: string;
  /** The client id. */
  appId: string;
  uniqueName: string | null;
  createdDateTime: string;
  passwordCredentials: PasswordCredential[];
  /** The users who own it: its creator (an Application Developer may change only its own). */
  owners: Set<string>;
  servicePrincipal?: ServicePrincipal;
  /** When it was deleted: set while it waits in the tenant's deleted items. */
  deletedDateTime?: string;
}

/** How a request names an application: its object id, or an alternate key. */
export type ApplicationKey = { by: 'id' | 'appId' | 'uniqueName'; value: string };

/**
 * The applications created through the Graph-like API, by object id, client id and unique name;
 * and those deleted since, in the tenant's deleted items (`directory/deletedItems`) until deleted
 * from there. Entra purges deleted items after 30 days; the emulator keeps them until it stops.
 * Only the applications that are not deleted are found, sign in and are listed.
 */
export class Applications {
  readonly #byId = new Map<string, Application>();
  readonly #deleted = new Map<string, Application>();

  /** How many it holds, those in deleted items included: what {@link MAX_APPLICATIONS} bounds. */
  get size(): number {
    return this.#byId.size + this.#deleted.size;
  }

  all(): Application[] {
    return [...this.#byId.values()];
  }

  find(key: ApplicationKey): Application | undefined {
    if (key.by === 'id') return this.#byId.get(key.value.toLowerCase());
    if (key.by === 'appId') return this.byAppId(key.value);
    return this.all().find((app) => app.uniqueName === key.value);
  }

  byAppId(appId: string): Application | undefined {
    const lower = appId.toLowerCase();
    return this.all().find((app) => app.appId === lower);
  }

  bySpId(id: string): Application | undefined {
    const lower = id.toLowerCase();
    return this.all().find((app) => app.servicePrincipal?.id === lower);
  }

  /** The deleted application with this object id, in deleted items. */
  deleted(id: string): Application | undefined {
    return this.#deleted.get(id.toLowerCase());
  }

  /** Whether an application, deleted or not, holds this unique name (unique in the tenant). */
  uniqueNameTaken(uniqueName: string): boolean {
    const holds = (app: Application) => app.uniqueName === uniqueName;
    return this.all().some(holds) || [...this.#deleted.values()].some(holds);
  }

  create(
    properties: Partial<Writable> & { displayName: string },
    uniqueName: string | null,
    owner: string,
  ): Application {
    const app: Application = {
      id: randomUUID(),
      appId: randomUUID(),
      uniqueName,
      createdDateTime: graphDate(new Date()),
      passwordCredentials: [],
      owners: new Set([owner]),
      ...defaults(),
      ...properties,
    };
    this.#byId.set(app.id, app);
    return app;
  }

  /**
   * Deletes the application: it signs in no more, and waits in deleted items, its unique name
   * taken. Its service principal is deleted with it, for good.
   */
  delete(app: Application): void {
    this.#byId.delete(app.id);
    app.servicePrincipal = undefined;
    app.deletedDateTime = graphDate(new Date());
    this.#deleted.set(app.id, app);
  }

  /** Deletes a deleted application from deleted items, for good: its unique name is free again. */
  purge(app: Application): void {
    this.#deleted.delete(app.id);
  }
}

/** What an application is before a PATCH sets anything (a new object each time: they are mutable). */
function defaults(): Omit<Writable, 'displayName'> {
  return {
    signInAudience: 'AzureADMyOrg',
    tags: [],
    notes: null,
    web: defaultWeb(),
    optionalClaims: { idToken: [], accessToken: [], saml2Token: [] },
    requiredResourceAccess: [],
  };
}

function defaultWeb(): Web {
  return {
    redirectUris: [],
    logoutUrl: null,
    homePageUrl: null,
    implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false },
  };
}

/** Graph's date-times: ISO 8601, whole seconds, `Z`. */
function graphDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The application as Graph returns it (`GET`, and the `201` of a create). */
export function applicationJson(app: Application, graphUrl: string) {
  return {
    '@odata.context': `${graphUrl}/v1.0/$metadata#applications/$entity`,
    id: app.id,
    deletedDateTime: app.deletedDateTime ?? null,
    appId: app.appId,
    uniqueName: app.uniqueName,
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    createdDateTime: app.createdDateTime,
    tags: app.tags,
    notes: app.notes,
    web: app.web,
    optionalClaims: app.optionalClaims,
    requiredResourceAccess: app.requiredResourceAccess,
    passwordCredentials: app.passwordCredentials.map((credential) => ({
      ...passwordCredentialJson(credential),
      secretText: null,
    })),
  };
}

/** A deleted application as Graph returns it from `directory/deletedItems/{id}`. */
export function deletedApplicationJson(app: Application, graphUrl: string) {
  const { '@odata.context': _, ...properties } = applicationJson(app, graphUrl);
  return {
    '@odata.context': `${graphUrl}/v1.0/$metadata#directory/deletedItems/$entity`,
    '@odata.type': '#microsoft.graph.application',
    ...properties,
  };
}

/** A password credential as Graph returns it; `secretText` only in `addPassword`'s answer. */
export function passwordCredentialJson(credential: PasswordCredential) {
  return {
    customKeyIdentifier: null,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    hint: credential.hint,
    keyId: credential.keyId,
    secretText: credential.secret,
    startDateTime: credential.startDateTime,
  };
}

export function servicePrincipalJson(app: Application, sp: ServicePrincipal, graphUrl: string) {
  return {
    '@odata.context': `${graphUrl}/v1.0/$metadata#servicePrincipals/$entity`,
    id: sp.id,
    appId: app.appId,
    displayName: sp.displayName ?? app.displayName,
    servicePrincipalType: 'Application',
    accountEnabled: sp.accountEnabled,
    appRoleAssignmentRequired: sp.appRoleAssignmentRequired,
    tags: sp.tags,
  };
}

/** The application as the identity platform sees a registered app. */
export function registrationOf(app: Application): AppRegistration {
  const idTokenClaims = app.optionalClaims.idToken.map((claim) => claim.name);
  const permissionNames = Object.entries(GRAPH_PERMISSION_IDS);
  return {
    displayName: app.displayName,
    clientId: app.appId,
    // Never compared: its secrets are its password credentials (`secretMatches`).
    clientSecret: '',
    redirectUris: app.web.redirectUris,
    ...(app.web.logoutUrl ? { frontChannelLogoutUrl: app.web.logoutUrl } : {}),
    optionalClaims: ACTED_ON_CLAIMS.filter((claim) => idTokenClaims.includes(claim)),
    // None unless it lists some: an application created through Graph has no API permission.
    apiPermissions: app.requiredResourceAccess.flatMap((resource) =>
      resource.resourceAccess.flatMap(
        (access) => permissionNames.find(([, id]) => id === access.id)?.[0] ?? [],
      ),
    ),
    enableIdTokenIssuance: app.web.implicitGrantSettings.enableIdTokenIssuance,
  };
}

/** Whether `secret` is one of the application's password credentials valid at `now`. */
export function secretMatches(app: Application, secret: string, now = Date.now()): boolean {
  // Every credential compared, in constant time each: which one matched does not show.
  let matched = false;
  for (const credential of app.passwordCredentials) {
    const valid =
      Date.parse(credential.startDateTime) <= now && now < Date.parse(credential.endDateTime);
    if (safeEqual(secret, credential.secret) && valid) matched = true;
  }
  return matched;
}

/**
 * A client secret as Entra makes them: 40 characters, the first three the hint, then a digit and
 * `Q~`, the rest from the letters, the digits and `~._-`.
 */
function newSecret(): string {
  const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const any = `${alphanumeric}~._-`;
  const pick = (from: string, count: number) =>
    Array.from({ length: count }, () => from[randomInt(from.length)]).join('');
  return `${pick(alphanumeric, 3)}${pick('0123456789', 1)}Q~${pick(any, 34)}`;
}

/** A 400 in Graph's shape, with the message naming the property. */
export class InvalidRequest extends Error {}

const invalidValue = (property: string) =>
  new InvalidRequest(
    `Invalid value specified for property '${property}' of resource 'Application'.`,
  );

/**
 * `addPassword`'s body: `{"passwordCredential": {"displayName"?, "startDateTime"?, "endDateTime"?}}`
 * (or none). Its end defaults to two years from now, as the portal's default.
 */
export function addPassword(app: Application, body: Record<string, unknown> | undefined) {
  if (app.passwordCredentials.length >= MAX_PASSWORD_CREDENTIALS) {
    throw new InvalidRequest(
      `The application has ${MAX_PASSWORD_CREDENTIALS} password credentials, the most the emulator keeps: remove one first (removePassword).`,
    );
  }
  const requested = body?.passwordCredential ?? {};
  if (!isObject(requested)) throw invalidValue('passwordCredential');
  checkProperties(requested, ['displayName', 'startDateTime', 'endDateTime'], 'passwordCredential');
  const { displayName = null } = requested;
  if (displayName !== null && !isText(displayName, MAX_TEXT_LENGTH)) {
    throw invalidValue('passwordCredential.displayName');
  }
  const now = Date.now();
  const start = dateOf(requested.startDateTime, now, 'passwordCredential.startDateTime');
  const end = dateOf(requested.endDateTime, now + TWO_YEARS_MS, 'passwordCredential.endDateTime');
  if (end <= start) throw invalidValue('passwordCredential.endDateTime');
  const secret = newSecret();
  const credential: PasswordCredential = {
    keyId: randomUUID(),
    displayName: displayName as string | null,
    hint: secret.slice(0, 3),
    startDateTime: graphDate(new Date(start)),
    endDateTime: graphDate(new Date(end)),
    secret,
  };
  app.passwordCredentials.push(credential);
  return credential;
}

function dateOf(value: unknown, fallback: number, property: string): number {
  if (value === undefined || value === null) return fallback;
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(parsed)) throw invalidValue(property);
  return parsed;
}

/** `removePassword`'s body: `{"keyId": "<guid>"}`; `undefined` when the application has no such key. */
export function removePassword(
  app: Application,
  body: Record<string, unknown> | undefined,
): PasswordCredential | undefined {
  const keyId = body?.keyId;
  if (typeof keyId !== 'string' || !isGuid(keyId)) throw invalidValue('keyId');
  const index = app.passwordCredentials.findIndex(
    (credential) => credential.keyId === keyId.toLowerCase(),
  );
  if (index < 0) return undefined;
  return app.passwordCredentials.splice(index, 1)[0];
}

const WRITABLE = [
  'displayName',
  'signInAudience',
  'tags',
  'notes',
  'web',
  'optionalClaims',
  'requiredResourceAccess',
] as const;

/** Properties Graph has but a PATCH cannot set here; any other name does not exist. */
const NOT_WRITABLE = ['id', 'appId', 'uniqueName', 'createdDateTime', 'publisherDomain'];

/**
 * A PATCH body checked against Entra's rules and made whole: each property it names replaces the
 * stored one, a complex property (`web`) whole, its unnamed sub-properties at their defaults.
 * Throws {@link InvalidRequest} naming the first property it cannot take.
 */
export function parsePatch(body: Record<string, unknown>): Partial<Writable> {
  const patch: Partial<Writable> = {};
  for (const [name, value] of Object.entries(body)) {
    // OData annotations (`@odata.type`) say nothing to set.
    if (name.startsWith('@odata.')) continue;
    if (name === 'passwordCredentials') {
      throw new InvalidRequest(
        "Property 'passwordCredentials' cannot be set with PATCH: use the addPassword and removePassword actions.",
      );
    }
    if (NOT_WRITABLE.includes(name)) {
      throw new InvalidRequest(`Property '${name}' is read-only and cannot be set.`);
    }
    switch (name as (typeof WRITABLE)[number]) {
      case 'displayName':
        if (!isText(value, MAX_TEXT_LENGTH) || value.trim() === '') throw invalidValue(name);
        patch.displayName = value;
        break;
      case 'signInAudience': {
        const audience = SIGN_IN_AUDIENCES.find((candidate) => candidate === value);
        if (!audience) throw invalidValue(name);
        patch.signInAudience = audience;
        break;
      }
      case 'tags':
        if (!isList(value, MAX_TAGS) || !value.every((tag) => isText(tag, MAX_TEXT_LENGTH))) {
          throw invalidValue(name);
        }
        patch.tags = value as string[];
        break;
      case 'notes':
        if (value !== null && !isText(value, MAX_NOTES_LENGTH)) throw invalidValue(name);
        patch.notes = value as string | null;
        break;
      case 'web':
        patch.web = parseWeb(value);
        break;
      case 'optionalClaims':
        patch.optionalClaims = parseOptionalClaims(value);
        break;
      case 'requiredResourceAccess':
        patch.requiredResourceAccess = parseRequiredResourceAccess(value);
        break;
      default:
        throw new InvalidRequest(
          `Property '${name}' does not exist on type 'microsoft.graph.application'.`,
        );
    }
  }
  return patch;
}

function parseWeb(value: unknown): Web {
  const web = defaultWeb();
  if (value === null) return web;
  if (!isObject(value)) throw invalidValue('web');
  checkProperties(
    value,
    ['redirectUris', 'logoutUrl', 'homePageUrl', 'implicitGrantSettings'],
    'web',
  );
  if (value.redirectUris !== undefined) {
    const uris = value.redirectUris;
    if (!isList(uris, MAX_REDIRECT_URIS) || !uris.every(isAllowedRedirectUri)) {
      throw invalidValue('web.redirectUris');
    }
    web.redirectUris = uris as string[];
  }
  if (value.logoutUrl !== undefined && value.logoutUrl !== null) {
    if (!isAllowedRedirectUri(value.logoutUrl)) throw invalidValue('web.logoutUrl');
    web.logoutUrl = value.logoutUrl;
  }
  if (value.homePageUrl !== undefined && value.homePageUrl !== null) {
    if (!isHttpUrl(value.homePageUrl)) throw invalidValue('web.homePageUrl');
    web.homePageUrl = value.homePageUrl;
  }
  const implicit = value.implicitGrantSettings;
  if (implicit !== undefined && implicit !== null) {
    if (!isObject(implicit)) throw invalidValue('web.implicitGrantSettings');
    const names = ['enableIdTokenIssuance', 'enableAccessTokenIssuance'] as const;
    checkProperties(implicit, names, 'web.implicitGrantSettings');
    for (const flag of names) {
      const setting = implicit[flag];
      if (setting === undefined || setting === null) continue;
      if (typeof setting !== 'boolean') throw invalidValue(`web.implicitGrantSettings.${flag}`);
      web.implicitGrantSettings[flag] = setting;
    }
  }
  return web;
}

/**
 * Entra's rules for a web redirect URI (and a front-channel logout URL): absolute, `https`, or
 * `http` for `localhost` or `127.0.0.1` only; no fragment; 256 characters at most.
 */
function isAllowedRedirectUri(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_URI_LENGTH) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (value.includes('#')) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(url.hostname);
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_URI_LENGTH) return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function parseOptionalClaims(value: unknown): OptionalClaims {
  const claims: OptionalClaims = { idToken: [], accessToken: [], saml2Token: [] };
  if (value === null) return claims;
  if (!isObject(value)) throw invalidValue('optionalClaims');
  const tokens = ['idToken', 'accessToken', 'saml2Token'] as const;
  checkProperties(value, tokens, 'optionalClaims');
  for (const token of tokens) {
    const list = value[token];
    if (list === undefined || list === null) continue;
    const property = `optionalClaims.${token}`;
    if (!isList(list, 100)) throw invalidValue(property);
    claims[token] = list.map((claim) => {
      if (!isObject(claim)) throw invalidValue(property);
      checkProperties(claim, ['name', 'source', 'essential', 'additionalProperties'], property);
      const { name, source = null, essential = false, additionalProperties = [] } = claim;
      if (!isText(name, MAX_TEXT_LENGTH) || name === '') throw invalidValue(`${property}.name`);
      if (source !== null && !isText(source, MAX_TEXT_LENGTH))
        throw invalidValue(`${property}.source`);
      if (typeof essential !== 'boolean') throw invalidValue(`${property}.essential`);
      if (!isList(additionalProperties, 10) || !additionalProperties.every((p) => isText(p, 64)))
        throw invalidValue(`${property}.additionalProperties`);
      return {
        name,
        source: source as string | null,
        essential,
        additionalProperties: additionalProperties as string[],
      };
    });
  }
  return claims;
}

/**
 * Only Microsoft Graph's delegated permissions that the Graph-like API has: the emulated tenant
 * has no other API, and no application permissions (`Role`).
 */
function parseRequiredResourceAccess(value: unknown): RequiredResourceAccess[] {
  const property = 'requiredResourceAccess';
  if (value === null) return [];
  if (!isList(value, 50)) throw invalidValue(property);
  const known = Object.values(GRAPH_PERMISSION_IDS);
  return value.map((resource) => {
    if (!isObject(resource)) throw invalidValue(property);
    checkProperties(resource, ['resourceAppId', 'resourceAccess'], property);
    const { resourceAppId, resourceAccess } = resource;
    if (typeof resourceAppId !== 'string' || resourceAppId.toLowerCase() !== GRAPH_APP_ID) {
      throw invalidValue(`${property}.resourceAppId`);
    }
    if (!isList(resourceAccess, 100)) throw invalidValue(`${property}.resourceAccess`);
    return {
      resourceAppId: GRAPH_APP_ID,
      resourceAccess: resourceAccess.map((access) => {
        if (!isObject(access)) throw invalidValue(`${property}.resourceAccess`);
        checkProperties(access, ['id', 'type'], `${property}.resourceAccess`);
        const id = typeof access.id === 'string' ? access.id.toLowerCase() : '';
        if (!known.includes(id)) throw invalidValue(`${property}.resourceAccess.id`);
        if (access.type !== 'Scope') throw invalidValue(`${property}.resourceAccess.type`);
        return { id, type: 'Scope' as const };
      }),
    };
  });
}

/** A sub-object names only properties it has (OData annotations aside). */
function checkProperties(
  value: Record<string, unknown>,
  known: readonly string[],
  parent: string,
): void {
  const unknown = Object.keys(value).find(
    (name) => !known.includes(name) && !name.startsWith('@odata.'),
  );
  if (unknown !== undefined) {
    throw new InvalidRequest(`Property '${parent}.${unknown}' does not exist on its type.`);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isList(value: unknown, max: number): value is unknown[] {
  return Array.isArray(value) && value.length <= max;
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

export function isGuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
