/**
 * POST /{tenant}/oauth2/v2.0/token: redeems authorization codes and refresh tokens; the Azure CLI's
 * password grant is in `password-grant.ts`, the client credentials grant in `client-credentials.ts`.
 */
import type Koa from 'koa';
import { clientCredentialsGrant } from './client-credentials.ts';
import { checkEnabled, parseClaims, type RequestedClaims } from './critical-events.ts';
import { AADSTS, EntraError } from './errors.ts';
import { sessionLabel } from './events.ts';
import { readForm } from './http.ts';
import { passwordGrant } from './password-grant.ts';
import { notConsented, parseScopes, responseScope, type Scopes } from './scopes.ts';
import { randomToken, safeEqual, sha256 } from './secrets.ts';
import {
  clientSecretMatches,
  type EmulatorState,
  findApp,
  type Grant,
  record,
  revokedSince,
} from './state.ts';
import { accessTokenLifetime, clientInfoOf, mintAccessToken, mintIdToken } from './tokens.ts';
import type { AppRegistration } from './types.ts';

export function tokenEndpoint(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    const form = await readForm(ctx);
    const client = clientCredentials(ctx, form);
    const grantType = form.get('grant_type') ?? '';
    if (grantType === 'password') {
      // The Azure CLI's (password-grant.ts), which records what it did or refused itself.
      try {
        ctx.body = await passwordGrant(state, client, form);
        record(state.tokenRequests, { grantType, clientId: client.id, ok: true });
      } catch (error) {
        record(state.tokenRequests, { grantType, clientId: client.id, ok: false });
        throw error;
      }
      return;
    }
    try {
      const app = authenticateClient(state, client);
      if (grantType === 'client_credentials') {
        // The app itself, no user: records what it issued itself.
        ctx.body = await clientCredentialsGrant(state, app, form);
        record(state.tokenRequests, { grantType, clientId: client.id, ok: true });
        return;
      }
      // Before the grant is used: a malformed `claims` leaves a code unredeemed.
      const claims = parseClaims(form.get('claims'));
      const grant = redeem(state, app, grantType, form);
      ctx.body = await tokenResponse(state, grant, claims.cp1);
      record(state.tokenRequests, { grantType, clientId: client.id, ok: true });
      recordIssued(state, app, grant, grantType, claims);
    } catch (error) {
      record(state.tokenRequests, { grantType, clientId: client.id, ok: false });
      if (error instanceof EntraError) recordRefused(state, client.id, form, error);
      throw error;
    }
  };
}

/** For the timeline: what was issued, to which app, for whom. Never the tokens themselves. */
function recordIssued(
  state: EmulatorState,
  app: AppRegistration,
  grant: Grant,
  grantType: string,
  claims: RequestedClaims,
): void {
  const user = grant.user.userPrincipalName;
  const minutes = Math.round(accessTokenLifetime(state, claims.cp1) / 60);
  const refresh = grant.scopes.oidc.includes('offline_access') ? ', a refresh token' : '';
  const kind = claims.cp1 ? 'a CAE access token (xms_cc cp1' : 'an access token (';
  const what = `${kind}${claims.cp1 ? ', ' : ''}${minutes} min)${refresh} and an id token`;
  // A claims challenge answered: the client asked for a token issued after the event.
  const answering =
    claims.nbf === undefined
      ? ''
      : `, answering a claims challenge (nbf ${new Date(claims.nbf * 1000).toISOString()})`;
  const byCode = grantType === 'authorization_code';
  state.events.record({
    kind: byCode ? 'tokens-issued' : 'refreshed',
    text: byCode
      ? `${app.displayName} redeemed the code${answering}: ${what} for ${user}`
      : `${app.displayName} redeemed ${user}'s refresh token${answering}: ${what}`,
    user,
    app: app.displayName,
    sessions: [sessionLabel(grant.sid)],
  });
}

/** For the timeline: a code or refresh token refused, and why (Entra's error text). */
function recordRefused(
  state: EmulatorState,
  clientId: string | undefined,
  form: URLSearchParams,
  error: EntraError,
): void {
  // Only a registered app is named: a client id is whatever the request says.
  const app = findApp(state, clientId ?? '')?.displayName ?? 'an unknown client';
  const grant =
    state.refreshTokens.get(form.get('refresh_token') ?? '') ??
    state.codes.get(form.get('code') ?? '');
  const user = grant?.user.userPrincipalName;
  state.events.record({
    kind: 'refused',
    text: `${app}: ${form.get('grant_type') ?? 'token'} request refused${user ? ` for ${user}` : ''}: ${error.text}`,
    app,
    ...(user ? { user } : {}),
    ...(grant ? { sessions: [sessionLabel(grant.sid)] } : {}),
  });
}

/** `client_secret_basic` (HTTP Basic, form-encoded parts) or `client_secret_post` (form fields). */
function clientCredentials(
  ctx: Koa.Context,
  form: URLSearchParams,
): { id: string; secret?: string } {
  const basic = /^Basic\s+(.+)$/i.exec(ctx.get('Authorization'))?.[1];
  if (basic) {
    // RFC 6749 2.3.1: each part is form-encoded; URLSearchParams decodes `+` and never throws.
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const formDecode = (part: string) => new URLSearchParams(`v=${part}`).get('v') ?? '';
    return colon < 0
      ? { id: formDecode(decoded) }
      : { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  }
  return { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? undefined };
}

function authenticateClient(
  state: EmulatorState,
  client: { id: string; secret?: string },
): AppRegistration {
  if (!client.id) throw AADSTS.missingParameter('client_id');
  const app = findApp(state, client.id);
  if (!app) throw AADSTS.unknownClient(client.id, state.tenantId);
  if (!client.secret) throw AADSTS.missingClientSecret();
  if (!clientSecretMatches(state, app, client.secret)) {
    throw AADSTS.invalidClientSecret(app.clientId);
  }
  return app;
}

function redeem(
  state: EmulatorState,
  app: AppRegistration,
  grantType: string,
  form: URLSearchParams,
): Grant {
  if (!grantType) throw AADSTS.missingParameter('grant_type');
  if (grantType === 'authorization_code') return redeemCode(state, app, form);
  if (grantType === 'refresh_token') return redeemRefreshToken(state, app, form);
  throw AADSTS.unsupportedGrantType(grantType);
}

function redeemCode(state: EmulatorState, app: AppRegistration, form: URLSearchParams): Grant {
  const value = form.get('code');
  if (!value) throw AADSTS.missingParameter('code');
  const code = state.codes.get(value);
  if (!code) throw AADSTS.codeExpired();
  if (code.redeemed) throw AADSTS.codeAlreadyRedeemed();
  if (code.clientId !== app.clientId) throw AADSTS.grantIssuedToAnotherClient();
  const redirectUri = form.get('redirect_uri') ?? '';
  if (redirectUri !== code.reply.redirectUri)
    throw AADSTS.redirectUriDiffersFromAuthorize(redirectUri);
  if (code.codeChallenge !== undefined) {
    const verifier = form.get('code_verifier') ?? '';
    const { value, method } = code.codeChallenge;
    if (!safeEqual(method === 'S256' ? sha256(verifier) : verifier, value)) {
      throw AADSTS.codeVerifierMismatch();
    }
  }
  if (revokedSince(state, code.user, code.authenticatedAt)) {
    throw AADSTS.sessionsRevoked(code.authenticatedAt, state.revokedAt.get(code.user.oid) ?? 0);
  }
  checkEnabled(state, code.user);
  // The OpenID Connect scopes are at most the sign-in's: a code issued without `offline_access`
  // never buys a refresh token, whatever the token request names.
  const requested = requestedScopes(app, form, code.scopes);
  const oidc = requested.oidc.filter((scope) => code.scopes.oidc.includes(scope));
  const scopes = { ...requested, oidc };
  code.redeemed = true;
  const { user, clientId, sid, nonce, authenticatedAt } = code;
  return { user, clientId, sid, scopes, nonce, authenticatedAt };
}

function redeemRefreshToken(
  state: EmulatorState,
  app: AppRegistration,
  form: URLSearchParams,
): Grant {
  const value = form.get('refresh_token');
  if (!value) throw AADSTS.missingParameter('refresh_token');
  const refresh = state.refreshTokens.get(value);
  if (!refresh) throw AADSTS.malformedRefreshToken();
  if (refresh.clientId !== app.clientId) throw AADSTS.grantIssuedToAnotherClient();
  // Signing out never revokes a refresh token (Entra's behaviour); an administrator revoking the
  // user's sessions does: the one thing that stops an app that kept its token cache.
  if (revokedSince(state, refresh.user, refresh.authenticatedAt)) {
    throw AADSTS.sessionsRevoked(
      refresh.authenticatedAt,
      state.revokedAt.get(refresh.user.oid) ?? 0,
    );
  }
  // A disabled account's refresh tokens are refused while it is disabled, not revoked: once the
  // account is enabled again they work, unless its sessions were revoked too.
  checkEnabled(state, refresh.user);
  return { ...refresh, scopes: requestedScopes(app, form, refresh.scopes) };
}

/**
 * The token request's `scope` picks the access token's permissions, within the app's
 * registration: a code or refresh token never buys a permission the app was not granted, whatever
 * the request names (Entra: AADSTS65001, `consent_required`). Without a `scope`, the earlier
 * request's, which the authorize endpoint checked.
 */
function requestedScopes(app: AppRegistration, form: URLSearchParams, earlier: Scopes): Scopes {
  const scope = form.get('scope');
  if (!scope) return earlier;
  const scopes = parseScopes(scope, app);
  if (notConsented(scopes, app).length > 0) throw AADSTS.consentRequiredForGrant(app);
  return scopes;
}

/**
 * Everything msal needs to cache the sign-in: without `id_token` and `client_info` it has no
 * account, without `refresh_token` it cannot refresh. Refresh responses carry them all too.
 */
async function tokenResponse(state: EmulatorState, grant: Grant, cae: boolean) {
  const lifetime = accessTokenLifetime(state, cae);
  // A refresh token only for offline_access, as in Entra. It is rotated, but the old one stays valid.
  const refreshToken = grant.scopes.oidc.includes('offline_access') ? randomToken(48) : undefined;
  if (refreshToken) state.refreshTokens.set(refreshToken, { ...grant, nonce: undefined });
  return {
    token_type: 'Bearer',
    scope: responseScope(grant.scopes),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: await mintAccessToken(state, grant, cae),
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    id_token: await mintIdToken(state, grant),
    client_info: clientInfoOf(grant.user.oid, state.tenantId),
  };
}
