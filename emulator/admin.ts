/**
 * What an administrator does to a user, from the emulator's page (or a program on this machine):
 * POST /{tenant}/users/{id or user name}/revokeSignInSessions (Graph's `revokeSignInSessions`, the
 * admin center's "Revoke sessions"), …/disable and …/enable (Graph's `accountEnabled`), and
 * …/resetPassword (the admin center's "Reset password"). Each is a critical event
 * (`critical-events.ts`): refresh tokens refused, sign-in refused, the Graph-like API refusing CAE
 * tokens issued before it.
 *
 * The emulator's stand-ins need no token (it is a development tool, reachable from this machine
 * only), but no other origin's page can use them: browsers send `Origin` with a form they POST.
 */
import type Koa from 'koa';
import { disableAccount, enableAccount, resetPassword, revokeSessions } from './critical-events.ts';
import { readForm } from './http.ts';
import { loopbackReturnUrl } from './redirect-uris.ts';
import { type EmulatorState, graphLikeError } from './state.ts';
import type { DemoUser } from './types.ts';

/** The administrator's actions of the page, by the last segment of their path. */
export const ADMIN_ACTIONS = {
  revokeSignInSessions: { act: revokeSessions, notice: 'revoked' },
  disable: { act: disableAccount, notice: 'disabled' },
  enable: { act: enableAccount, notice: 'enabled' },
  resetPassword: { act: resetPassword, notice: 'reset' },
} as const satisfies Record<
  string,
  { act: (state: EmulatorState, user: DemoUser) => void; notice: string }
>;

export type AdminAction = keyof typeof ADMIN_ACTIONS;

/**
 * Refuses a request a page of another origin made (403, Graph's shape), and answers `true` when
 * the request may go on.
 */
export function fromThisMachine(ctx: Koa.Context, state: EmulatorState, what: string): boolean {
  const origin = ctx.get('Origin');
  const own = new URL(state.identityUrl).origin;
  if (!origin || origin === own) return true;
  ctx.status = 403;
  ctx.body = graphLikeError(
    'Authorization_RequestDenied',
    `Only the emulator's own page (${own}) can ${what}.`,
  );
  return false;
}

/** The user a path names, by object id or user name; a 404 in Graph's shape otherwise. */
export function namedUser(ctx: Koa.Context, state: EmulatorState): DemoUser | undefined {
  const id = String(ctx.params.user ?? '');
  const user = state.directory.byOid(id) ?? state.directory.byUsername(id);
  if (user) return user;
  ctx.status = 404;
  ctx.body = graphLikeError('Request_ResourceNotFound', `Resource '${id}' does not exist.`);
  return undefined;
}

export function adminAction(state: EmulatorState, action: AdminAction): Koa.Middleware {
  const { act, notice } = ADMIN_ACTIONS[action];
  return async (ctx) => {
    if (!fromThisMachine(ctx, state, 'act as an administrator')) return;
    const user = namedUser(ctx, state);
    if (!user) return;
    act(state, user);
    if (ctx.accepts('json', 'html') === 'html') {
      // The emulator's page: back to it, which says what happened (and keeps its way back).
      const back = loopbackReturnUrl((await readForm(ctx)).get('return'));
      const query = new URLSearchParams({ [notice]: user.oid, ...(back ? { return: back } : {}) });
      ctx.redirect(`/?${query}`);
      return;
    }
    ctx.body = { '@odata.context': `${state.graphUrl}/v1.0/$metadata#Edm.Boolean`, value: true };
  };
}
