/**
 * Scopes as Entra reads them: OpenID Connect scopes, and Graph permissions with or without prefix;
 * and what an app may be granted: the permissions its registration lists, consented for the
 * tenant. There is no consent page, so nothing else can be consented: a request for more is
 * refused (AADSTS65001), never granted because the request names it.
 */
import { GRAPH_APP_ID } from './directory.ts';
import { AADSTS } from './errors.ts';
import type { AppRegistration } from './types.ts';

const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** The delegated permissions of the Graph-like API. */
export const GRAPH_PERMISSIONS: readonly string[] = [
  'User.Read',
  'User.ReadBasic.All',
  'Mail.Read',
];

/**
 * The ids of those permissions (Graph's `oauth2PermissionScopes`, the same in every tenant): what an
 * application's `requiredResourceAccess` names them by.
 */
export const GRAPH_PERMISSION_IDS: Readonly<Record<string, string>> = {
  'User.Read': 'e1fe6dd8-ba31-4d61-89e7-88639da4683d',
  'User.ReadBasic.All': 'b340eb25-3456-403f-be2f-af7a0d370277',
  'Mail.Read': '570282fd-fa5c-430d-a7fd-fc8dc98a9dca',
};

/** The delegated permission the Graph-like API's application calls need (`applications.ts`). */
export const APPLICATION_READ_WRITE_ALL = 'Application.ReadWrite.All';

/**
 * The Azure CLI, a first-party public client of every tenant (no secret, not in the apps list):
 * `az login -u … -p …` gets its token with the resource owner password grant
 * (`password-grant.ts`). In the emulated tenant it is pre-authorized for these Graph permissions.
 */
export const AZURE_CLI = {
  clientId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
  displayName: 'Microsoft Azure CLI',
  graphPermissions: [APPLICATION_READ_WRITE_ALL, 'User.Read'],
} as const;

/** What Entra gives a new app registration: Microsoft Graph's `User.Read`. */
export const DEFAULT_API_PERMISSIONS: readonly string[] = ['User.Read'];

/** Ways to name Graph as the resource; a scope with no resource prefix means Graph too, as in Entra. */
const GRAPH_PREFIXES = ['https://graph.microsoft.com/', `${GRAPH_APP_ID}/`];

/** A `scope` parameter understood: OpenID Connect scopes, and Graph permissions by their short names. */
export interface Scopes {
  oidc: string[];
  graph: string[];
}

/** The Graph permissions the app's registration lists, by their canonical names. */
export function apiPermissionsOf(app: AppRegistration): string[] {
  const listed = (app.apiPermissions ?? DEFAULT_API_PERMISSIONS).map((p) => p.toLowerCase());
  return GRAPH_PERMISSIONS.filter((permission) => listed.includes(permission.toLowerCase()));
}

/**
 * Parses a `scope` parameter for `app`; anything this tenant does not know is `invalid_scope`
 * (AADSTS70011). Graph's `.default`, and a request that names no Graph permission, mean every
 * permission of the app's registration.
 */
export function parseScopes(scope: string, app: AppRegistration): Scopes {
  return parseScopesAmong(scope, GRAPH_PERMISSIONS, apiPermissionsOf(app));
}

/**
 * Parses a `scope` parameter: OpenID Connect scopes, and the Graph permissions of `known`, with
 * Graph's prefix or without; anything else is `invalid_scope` (AADSTS70011). Graph's `.default`,
 * and a request that names no Graph permission, mean those of `granted`.
 */
export function parseScopesAmong(
  scope: string,
  known: readonly string[],
  granted: readonly string[],
): Scopes {
  const oidc = new Set<string>();
  const graph = new Set<string>();
  for (const requested of scope.split(' ').filter(Boolean)) {
    const lower = requested.toLowerCase();
    if (OIDC_SCOPES.includes(lower)) {
      oidc.add(lower);
      continue;
    }
    const prefix = GRAPH_PREFIXES.find((candidate) => lower.startsWith(candidate));
    const name = prefix ? lower.slice(prefix.length) : lower;
    const isDefault = prefix !== undefined && name === '.default';
    const permissions = isDefault ? granted : known.filter((p) => p.toLowerCase() === name);
    if (!isDefault && permissions.length === 0) throw AADSTS.invalidScope(requested);
    for (const permission of permissions) graph.add(permission);
  }
  return { oidc: [...oidc], graph: graph.size > 0 ? [...graph] : [...granted] };
}

/** The Graph permissions of `scopes` that the app's registration does not list: never granted. */
export function notConsented(scopes: Scopes, app: AppRegistration): string[] {
  const consented = apiPermissionsOf(app);
  return scopes.graph.filter((permission) => !consented.includes(permission));
}

/** The token response's `scope`: Graph permissions without their prefix, then the OIDC scopes but `offline_access`. */
export function responseScope(scopes: Scopes): string {
  const oidc = scopes.oidc.filter((scope) => scope !== 'offline_access');
  return [...scopes.graph, ...oidc].join(' ');
}
