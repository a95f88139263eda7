/** The sign-in form and the account picker: the only places where a person talks to the emulator. */
import type Koa from 'koa';
import { sendCode, sendError } from './authorization-response.ts';
import { isDisabled, passwordOf } from './critical-events.ts';
import { DEFAULT_PASSWORD, DEMO_USERS } from './directory.ts';
import { AADSTS, type EntraError } from './errors.ts';
import { type PagePolicy, readForm, renderPage } from './http.ts';
import { safeEqual } from './secrets.ts';
import { browserId, currentSsoSession, startSsoSession } from './sso.ts';
import {
  type EmulatorState,
  findApp,
  type PendingAuthorization,
  type SsoSession,
} from './state.ts';

export async function showSignInForm(
  ctx: Koa.Context,
  state: EmulatorState,
  flowToken: string,
  pending: PendingAuthorization,
  failure?: { username: string; error: EntraError },
): Promise<void> {
  const hint = pending.loginHint;
  const hinted = hint === undefined ? undefined : state.directory.byHint(hint)?.userPrincipalName;
  await renderPage(
    ctx,
    'sign-in',
    // A failed attempt is a page of its own for the reader: its title says so first.
    failure ? `Sign in: error AADSTS${failure.error.code}` : 'Sign in',
    {
      action: `/${state.tenantId}/login`,
      flowToken,
      appName: findApp(state, pending.clientId)?.displayName,
      username: failure?.username ?? hinted ?? hint ?? '',
      error: failure?.error.text,
      tenantId: state.tenantId,
      users: DEMO_USERS,
      generatedUsers: state.directory.generatedUsers,
      // A password chosen in EMULATOR_PASSWORD is never printed; the documented default may be.
      defaultPassword: state.password === DEFAULT_PASSWORD ? DEFAULT_PASSWORD : undefined,
      // Users whose password an administrator reset have their own (on the emulator's page).
      resetUsers: [...state.passwords.keys()].flatMap((oid) => state.directory.byOid(oid) ?? []),
    },
    answersTheApp(pending),
  );
}

/** prompt=select_account with an SSO session: continue as its user, or "use another account". */
export async function showAccountPicker(
  ctx: Koa.Context,
  state: EmulatorState,
  flowToken: string,
  pending: PendingAuthorization,
  session: SsoSession,
): Promise<void> {
  await renderPage(
    ctx,
    'account-picker',
    'Pick an account',
    {
      action: `/${state.tenantId}/login`,
      anotherAccountUrl: `/${state.tenantId}/login?${new URLSearchParams({ flowToken })}`,
      flowToken,
      appName: findApp(state, pending.clientId)?.displayName,
      user: session.user,
    },
    answersTheApp(pending),
  );
}

/**
 * The sign-in form and the account picker post to the emulator, which may answer with a redirect
 * to the app's redirect URI (`response_mode=query` or `fragment`): the browser checks that
 * redirect against the page's `form-action` too.
 */
function answersTheApp(pending: PendingAuthorization): PagePolicy {
  return { formAction: [pending.reply.redirectUri] };
}

/**
 * The sign-in this browser started under `flowToken`. A flow token from another browser (a form
 * auto-submitted by another site, to sign the victim in as someone else) is as good as expired.
 */
function flowOf(ctx: Koa.Context, state: EmulatorState, flowToken: string): PendingAuthorization {
  const flow = state.flows.get(flowToken);
  if (!flow || !safeEqual(flow.browser, browserId(ctx))) throw AADSTS.flowTokenExpired();
  return flow.pending;
}

/** GET /{tenant}/login?flowToken=…: the form on its own, behind "Use another account". */
export function signInPage(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    const flowToken = new URLSearchParams(ctx.querystring).get('flowToken') ?? '';
    await showSignInForm(ctx, state, flowToken, flowOf(ctx, state, flowToken));
  };
}

/** POST /{tenant}/login, with Entra's field names `login` and `passwd` and the hidden flow token. */
export function signIn(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    const form = await readForm(ctx);
    const flowToken = form.get('flowToken') ?? '';
    const pending = flowOf(ctx, state, flowToken);

    const action = form.get('action');
    if (action === 'cancel') {
      state.flows.delete(flowToken);
      return sendError(ctx, pending.reply, AADSTS.userCancelled(), { error_subcode: 'cancel' });
    }
    const session = currentSsoSession(ctx, state);
    if (action === 'continue' && session) {
      state.flows.delete(flowToken);
      return sendCode(ctx, state, pending, session, 'account-picker');
    }
    if (action === 'continue') return showSignInForm(ctx, state, flowToken, pending);

    const username = form.get('login') ?? '';
    const user = state.directory.byUsername(username);
    // The user's own password after an administrator reset it; the tenant's one otherwise.
    const passwordMatches = safeEqual(
      form.get('passwd') ?? '',
      user ? passwordOf(state, user) : state.password,
    );
    if (!user || !passwordMatches) {
      return showSignInForm(ctx, state, flowToken, pending, {
        username,
        error: AADSTS.invalidCredentials(),
      });
    }
    // As Entra: the right password of a disabled account, and the form says why it is refused.
    if (isDisabled(state, user)) {
      return showSignInForm(ctx, state, flowToken, pending, {
        username,
        error: AADSTS.userDisabled(),
      });
    }
    state.flows.delete(flowToken);
    return sendCode(ctx, state, pending, startSsoSession(ctx, state, user), 'password');
  };
}
