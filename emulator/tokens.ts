/** Minting the id token for the app and the access token for the Graph-like API. */
import { createHash } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
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

export function mintAccessToken(state: EmulatorState, grant: Grant): Promise<string> {
  const { user } = grant;
  return sign(state, state.accessTokenLifetimeSeconds, {
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
  });
}

function sign(state: EmulatorState, lifetimeSeconds: number, claims: JWTPayload): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    ...claims,
    iss: state.issuer,
    iat: now,
    nbf: now,
    exp: now + lifetimeSeconds,
    uti: randomToken(16),
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: state.signingKey.kid })
    .sign(state.signingKey.privateKey);
}
