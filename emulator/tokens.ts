/** Minting the id token for the app and the access token for the Graph-like API. */
import { createHash } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import { earliestIssuedAt } from './critical-events.ts';
import { GRAPH_APP_ID, loginHintOf } from './directory.ts';
import { randomToken, sha256 } from './secrets.ts';
import { type EmulatorState, findApp, type Grant } from './state.ts';
import type { DemoUser } from './types.ts';

const ID_TOKEN_LIFETIME_SECONDS = 3600;

/** `client_info`: msal builds the account's home id (`uid.utid`) from it. */
export function clientInfoOf(oid: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: oid, utid: tenantId })).toString('base64url');
}

/** Entra's `sub` is pairwise: stable for a user within one app, different in every other app. */
function pairwiseSubject(user: DemoUser, clientId: string): string {
  return sha256(`${user.oid}|${clientId}`);
}

/**
 * The id token. `sid` and `login_hint` only if the app asked for them (optional claims); `c_hash`
 * when it comes with a code from the authorize endpoint (the hybrid flow).
 */
export function mintIdToken(
  state: EmulatorState,
  grant: Grant,
  withCode?: { code: string },
): Promise<string> {
  const { user } = grant;
  const optional = findApp(state, grant.clientId)?.optionalClaims ?? [];
  return sign(state, ID_TOKEN_LIFETIME_SECONDS, {
    ver: '2.0',
    aud: grant.clientId,
    sub: pairwiseSubject(user, grant.clientId),
    oid: user.oid,
    tid: state.tenantId,
    name: user.displayName,
    preferred_username: user.userPrincipalName,
    ...(grant.scopes.oidc.includes('email') ? { email: user.mail } : {}),
    ...(optional.includes('sid') ? { sid: grant.sid } : {}),
    ...(optional.includes('login_hint') ? { login_hint: loginHintOf(user, state.tenantId) } : {}),
    ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    ...(withCode ? { c_hash: leftHalfHash(withCode.code) } : {}),
  });
}

/** OpenID Connect's `c_hash`: base64url of the left half of the SHA-256 of the code (RS256). */
function leftHalfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}

/** How long an access token lives: CAE tokens (`xms_cc` `cp1`) much longer, as in Entra. */
export function accessTokenLifetime(state: EmulatorState, cae: boolean): number {
  return cae ? state.caeAccessTokenLifetimeSeconds : state.accessTokenLifetimeSeconds;
}

/**
 * The access token for the Graph-like API. For a client that declared the capability `cp1`, a CAE
 * token: `xms_cc: ["cp1"]` and the longer lifetime; the Graph-like API evaluates it against the
 * user's critical events.
 */
export function mintAccessToken(state: EmulatorState, grant: Grant, cae = false): Promise<string> {
  const { user } = grant;
  const now = Math.floor(Date.now() / 1000);
  const iat = earliestIssuedAt(state, user, now);
  const uti = randomToken(16);
  if (cae) state.caeTokenSessions.set(uti, grant.sid);
  return sign(state, accessTokenLifetime(state, cae), {
    ver: '2.0',
    aud: GRAPH_APP_ID,
    sub: pairwiseSubject(user, grant.clientId),
    oid: user.oid,
    tid: state.tenantId,
    name: user.displayName,
    upn: user.userPrincipalName,
    preferred_username: user.userPrincipalName,
    scp: grant.scopes.graph.join(' '),
    appid: grant.clientId,
    ...(cae ? { xms_cc: ['cp1'] } : {}),
    // After a critical event within this second: no earlier than the event (see critical-events.ts).
    iat,
    uti,
  });
}

/**
 * An app-only access token for the Graph-like API (the client credentials grant): the app itself,
 * no user. `idtyp` `app`, `roles` empty (the emulator grants no application permission), no `scp`;
 * `oid` and `sub` the app's service principal's object id.
 */
export function mintAppOnlyAccessToken(
  state: EmulatorState,
  clientId: string,
  servicePrincipalId: string,
): Promise<string> {
  return sign(state, accessTokenLifetime(state, false), {
    ver: '2.0',
    aud: GRAPH_APP_ID,
    sub: servicePrincipalId,
    oid: servicePrincipalId,
    tid: state.tenantId,
    idtyp: 'app',
    roles: [],
    appid: clientId,
    azp: clientId,
    // 1: the client authenticated with a secret.
    azpacr: '1',
  });
}

function sign(state: EmulatorState, lifetimeSeconds: number, claims: JWTPayload): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iat: now,
    uti: randomToken(16),
    ...claims,
    iss: state.issuer,
    nbf: now,
    exp: now + lifetimeSeconds,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: state.signingKey.kid })
    .sign(state.signingKey.privateKey);
}
