/** GET /{tenant}/oauth2/v2.0/authorize: the start of every sign-in. */
import type Koa from 'koa';
import { sendCode, sendError } from './authorization-response.ts';
import { AADSTS, EntraError } from './errors.ts';
import { isRegisteredRedirectUri } from './redirect-uris.ts';
import { parseScopes } from './scopes.ts';
import { randomToken } from './secrets.ts';
import { showAccountPicker, showSignInForm } from './sign-in.ts';
import { browserId, currentSsoSession } from './sso.ts';
import {
  type ClientReply,
  type EmulatorState,
  findApp,
  type PendingAuthorization,
  type ResponseMode,
} from './state.ts';
import type { AppRegistration } from './types.ts';

const RESPONSE_MODES: readonly ResponseMode[] = ['query', 'fragment', 'form_post'];
const MAX_QUERY_LENGTH = 8 * 1024;

export function authorize(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    // A bound on what one request can make the emulator keep (its state, login_hint…).
    if (ctx.querystring.length > MAX_QUERY_LENGTH) throw AADSTS.queryStringTooLong();
    // Unknown parameters (msal's x-client-*, client-request-id, claims, clidata…) are ignored.
    const query = new URLSearchParams(ctx.querystring);
    const { app, reply } = validateClient(state, query);
    let pending: PendingAuthorization;
    try {
      pending = validateRequest(query, app, reply);
    } catch (error) {
      if (error instanceof EntraError) return sendError(ctx, reply, error);
      throw error;
    }

    const session = currentSsoSession(ctx, state);
    // A login_hint naming someone else than the session's user asks for the form.
    const { loginHint } = pending;
    const sessionFits =
      session &&
      (loginHint === undefined || state.directory.byHint(loginHint)?.oid === session.user.oid);
    const usableSession = sessionFits ? session : undefined;
    const prompt = query.get('prompt');
    if (prompt === 'none') {
      return usableSession
        ? sendCode(ctx, state, pending, usableSession, 'sso')
        : sendError(ctx, reply, AADSTS.loginRequired());
    }
    if (usableSession && prompt !== 'login' && prompt !== 'select_account') {
      return sendCode(ctx, state, pending, usableSession, 'sso');
    }
    const flowToken = randomToken();
    state.flows.set(flowToken, { pending, browser: browserId(ctx) });
    if (usableSession && prompt === 'select_account') {
      return showAccountPicker(ctx, state, flowToken, pending, usableSession);
    }
    return showSignInForm(ctx, state, flowToken, pending);
  };
}

/**
 * Checks who is asking and where the answer goes. Until both are known to be registered, errors
 * are shown on a page (thrown): never redirect to a URI the app did not register.
 */
function validateClient(
  state: EmulatorState,
  query: URLSearchParams,
): { app: AppRegistration; reply: ClientReply } {
  const clientId = query.get('client_id');
  if (!clientId) throw AADSTS.missingParameter('client_id');
  const app = findApp(state, clientId);
  if (!app) throw AADSTS.unknownClient(clientId, state.tenantId);
  const redirectUri = query.get('redirect_uri');
  if (!redirectUri) throw AADSTS.missingParameter('redirect_uri');
  if (!isRegisteredRedirectUri(app.redirectUris, redirectUri))
    throw AADSTS.unregisteredRedirectUri(redirectUri, clientId);
  // The hybrid flow answers in the fragment unless told otherwise; the code flow in the query.
  const requestedMode = query.get('response_mode') ?? (isHybrid(query) ? 'fragment' : 'query');
  const responseMode = RESPONSE_MODES.find((mode) => mode === requestedMode);
  if (!responseMode) throw AADSTS.unsupportedResponseMode(requestedMode);
  return { app, reply: { redirectUri, responseMode, state: query.get('state') ?? undefined } };
}

/** `response_type=code id_token` (in either order): ASP.NET Core's and OWIN's default. */
function isHybrid(query: URLSearchParams): boolean {
  const types = (query.get('response_type') ?? '').split(' ').filter(Boolean).sort();
  return types.join(' ') === 'code id_token';
}

/** The rest of the request; its errors go back to the app's redirect URI. */
function validateRequest(
  query: URLSearchParams,
  app: AppRegistration,
  reply: ClientReply,
): PendingAuthorization {
  const responseType = query.get('response_type');
  if (!responseType) throw AADSTS.missingParameter('response_type');
  const hybrid = isHybrid(query);
  if (responseType !== 'code' && !hybrid) throw AADSTS.unsupportedResponseType(responseType);
  // Only to apps whose registration enables it, as in Entra: a loopback redirect URI matches any
  // port, so anything listening on one could otherwise get the user's id token, with no secret.
  if (hybrid && !app.enableIdTokenIssuance) throw AADSTS.idTokenNotEnabled();
  // An id token must not travel in a query string (OpenID Connect Core 3.3.2.5), and must be
  // bound to the request by a nonce (3.2.2.1).
  if (hybrid && reply.responseMode === 'query') throw AADSTS.queryModeWithIdToken();
  const nonce = query.get('nonce') || undefined;
  if (hybrid && nonce === undefined) throw AADSTS.missingParameter('nonce');
  const scope = query.get('scope');
  if (!scope) throw AADSTS.missingParameter('scope');
  // Permissions beyond the app's registration are refused once the user is known (sendCode).
  const scopes = parseScopes(scope, app);
  if (!scopes.oidc.includes('openid')) throw AADSTS.openidScopeRequired();
  // PKCE: S256 or plain, as Entra accepts; no method means plain (RFC 7636).
  const challenge = query.get('code_challenge') ?? undefined;
  const requestedMethod = query.get('code_challenge_method') ?? 'plain';
  const method = (['S256', 'plain'] as const).find((known) => known === requestedMethod);
  if (challenge !== undefined && !method) {
    throw AADSTS.unsupportedCodeChallengeMethod(requestedMethod);
  }
  // RFC 7636 4.1-4.2: 43 to 128 unreserved characters (a S256 challenge is 43).
  if (challenge !== undefined && !/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge)) {
    throw AADSTS.invalidCodeChallengeSize();
  }
  return {
    clientId: app.clientId,
    reply,
    scopes,
    nonce,
    ...(challenge === undefined || !method ? {} : { codeChallenge: { value: challenge, method } }),
    hybrid,
    loginHint: query.get('login_hint') ?? undefined,
    wantsClientInfo: query.get('client_info') === '1',
  };
}
