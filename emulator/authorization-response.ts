/** What goes back to the app at the end of the authorize step: a code, or an error. */
import type Koa from 'koa';
import { AADSTS, type EntraError, newTrace } from './errors.ts';
import { sessionLabel } from './events.ts';
import { renderPage } from './http.ts';
import { notConsented } from './scopes.ts';
import { randomToken } from './secrets.ts';
import {
  type ClientReply,
  type EmulatorState,
  findApp,
  type PendingAuthorization,
  type SsoSession,
} from './state.ts';
import { clientInfoOf, mintIdToken } from './tokens.ts';
import type { AppRegistration } from './types.ts';

/** How the user got here: they typed their password, or the SSO session signed them in. */
export type SignedInBy = 'password' | 'sso' | 'account-picker';

const HOW: Record<SignedInBy, string> = {
  password: 'signed in with their password',
  sso: 'signed in through the SSO session, no password asked',
  'account-picker': 'picked their account in the account picker (the SSO session, no password)',
};

/**
 * Issues a single-use code for the signed-in user (and, in the hybrid flow, an id token bound to
 * it by `c_hash`), and records the app in the SSO session. A request for permissions the app's
 * registration does not list gets no code: Entra would ask the user to consent, and the emulator
 * has no consent page, so it answers as Entra does when it cannot ask (AADSTS65001).
 */
export async function sendCode(
  ctx: Koa.Context,
  state: EmulatorState,
  pending: PendingAuthorization,
  session: SsoSession,
  signedInBy: SignedInBy,
): Promise<void> {
  const registration = findApp(state, pending.clientId);
  const missing = registration ? notConsented(pending.scopes, registration) : [];
  if (registration && missing.length > 0) {
    return refuseForConsent(
      ctx,
      state,
      { reply: pending.reply, app: registration, missing },
      session,
    );
  }
  session.clientIds.add(pending.clientId);
  const app = registration?.displayName ?? pending.clientId;
  const label = sessionLabel(session.sid);
  state.events.record({
    kind: signedInBy === 'password' ? 'signed-in' : 'sso',
    text: `${session.user.userPrincipalName} ${HOW[signedInBy]}: a code for ${app}, in session ${label}`,
    user: session.user.userPrincipalName,
    app,
    sessions: [label],
  });
  const code = randomToken();
  const { user, sid, startedAt: authenticatedAt } = session;
  state.codes.set(code, { ...pending, user, sid, redeemed: false, authenticatedAt });
  const idToken = pending.hybrid
    ? await mintIdToken(
        state,
        {
          user,
          sid,
          authenticatedAt,
          clientId: pending.clientId,
          scopes: pending.scopes,
          ...(pending.nonce === undefined ? {} : { nonce: pending.nonce }),
        },
        { code },
      )
    : undefined;
  return sendToClient(ctx, pending.reply, {
    code,
    ...(idToken ? { id_token: idToken } : {}),
    ...(pending.wantsClientInfo ? { client_info: clientInfoOf(user.oid, state.tenantId) } : {}),
    session_state: sid,
  });
}

/** No code: the app asked for permissions its registration does not list (`missing`). */
function refuseForConsent(
  ctx: Koa.Context,
  state: EmulatorState,
  { reply, app, missing }: { reply: ClientReply; app: AppRegistration; missing: string[] },
  session: SsoSession,
): Promise<void> {
  const error = AADSTS.consentRequired(app);
  const user = session.user.userPrincipalName;
  state.events.record({
    kind: 'refused',
    text: `${app.displayName}: no code for ${user}, ${missing.join(', ')} not consented: ${error.text}`,
    user,
    app: app.displayName,
    sessions: [sessionLabel(session.sid)],
  });
  return sendError(ctx, reply, error);
}

export function sendError(
  ctx: Koa.Context,
  reply: ClientReply,
  error: EntraError,
  extra: Record<string, string> = {},
): Promise<void> {
  const description = error.describe(newTrace());
  return sendToClient(ctx, reply, { error: error.error, ...extra, error_description: description });
}

/** Answers on the redirect URI's query or fragment, or as a form the browser posts to it. */
async function sendToClient(
  ctx: Koa.Context,
  reply: ClientReply,
  parameters: Record<string, string>,
): Promise<void> {
  const fields = { ...parameters, ...(reply.state === undefined ? {} : { state: reply.state }) };
  if (reply.responseMode === 'form_post') {
    // Its one script submits the form, cross-origin, to the app's redirect URI.
    return renderPage(
      ctx,
      'form-post',
      'Returning to the application',
      { action: reply.redirectUri, fields: Object.entries(fields) },
      { script: true, formAction: [reply.redirectUri] },
    );
  }
  const url = new URL(reply.redirectUri);
  if (reply.responseMode === 'fragment') url.hash = new URLSearchParams(fields).toString();
  else for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  ctx.redirect(url.href);
}
