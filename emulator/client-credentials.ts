/**
 * The client credentials grant (`grant_type=client_credentials`): a registered app, authenticated
 * by its client secret at the token endpoint (`token-endpoint.ts`), gets an app-only access token
 * for the Graph-like API, as in Entra. The emulator grants apps no application permission: the
 * token's `roles` is empty, and the Graph-like API answers it as Graph answers an app without one.
 * What it is for here: checking that a client secret still works (`npm run register`).
 */
import { createHash } from 'node:crypto';
import { GRAPH_APP_ID } from './directory.ts';
import { AADSTS } from './errors.ts';
import type { EmulatorState } from './state.ts';
import { accessTokenLifetime, mintAppOnlyAccessToken } from './tokens.ts';
import type { AppRegistration } from './types.ts';

/** Graph's `.default`, by its application ID URI or its app id. */
const GRAPH_DEFAULT = ['https://graph.microsoft.com/.default', `${GRAPH_APP_ID}/.default`];

/** The token response for `app`, already authenticated; throws an `EntraError` when it refuses. */
export async function clientCredentialsGrant(
  state: EmulatorState,
  app: AppRegistration,
  form: URLSearchParams,
) {
  const scope = form.get('scope')?.trim();
  if (!scope) throw AADSTS.missingParameter('scope');
  checkScope(state, scope);
  const lifetime = accessTokenLifetime(state, false);
  const body = {
    token_type: 'Bearer',
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: await mintAppOnlyAccessToken(state, app.clientId, servicePrincipalId(state, app)),
  };
  state.events.record({
    kind: 'tokens-issued',
    text: `${app.displayName} signed in as itself (client credentials grant, its client secret): an app-only access token for Graph (no user, no application permission, ${Math.round(lifetime / 60)} min)`,
    app: app.displayName,
  });
  return body;
}

/**
 * One scope, a resource's `/.default` (Entra: AADSTS1002012 otherwise); the one resource of the
 * emulated tenant is Microsoft Graph (Entra: AADSTS500011 for another).
 */
function checkScope(state: EmulatorState, scope: string): void {
  const scopes = scope.split(/\s+/);
  const single = scopes.length === 1 ? scope : undefined;
  if (single === undefined || !single.toLowerCase().endsWith('/.default')) {
    throw AADSTS.clientCredentialsScope(scope);
  }
  if (!GRAPH_DEFAULT.includes(single.toLowerCase())) {
    throw AADSTS.resourceNotFound(single.slice(0, -'/.default'.length), state.tenantId);
  }
}

/**
 * The `oid` of the app's token: its service principal's object id when it has one (created
 * through Graph), otherwise an id derived from its client id, the same each time.
 */
function servicePrincipalId(state: EmulatorState, app: AppRegistration): string {
  const created = state.applications.byAppId(app.clientId)?.servicePrincipal?.id;
  if (created) return created;
  const hex = createHash('sha256')
    .update(`service principal|${state.tenantId}|${app.clientId.toLowerCase()}`)
    .digest('hex');
  // A version 5 (name-based) UUID's layout.
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
