/**
 * POST /{tenant}/users/{id or user name}/revokeSignInSessions: what an administrator does with
 * Graph's `revokeSignInSessions`, or the admin center's "Revoke sessions" button. Every refresh
 * token, unredeemed code and SSO session of the user from before now stops working (AADSTS50173);
 * access tokens already issued stay valid until they expire, as in Entra.
 *
 * The emulator's stand-in needs no token (it is a development tool, reachable from this machine
 * only), but no other origin's page can use it: browsers send `Origin` with a form they POST.
 */
import type Koa from 'koa';
import { sessionLabel } from './events.ts';
import { type EmulatorState, graphLikeError } from './state.ts';

export function revokeSignInSessions(state: EmulatorState): Koa.Middleware {
  return async (ctx) => {
    const origin = ctx.get('Origin');
    if (origin && origin !== new URL(state.identityUrl).origin) {
      ctx.status = 403;
      ctx.body = graphLikeError(
        'Authorization_RequestDenied',
        `Only the emulator's own page (${new URL(state.identityUrl).origin}) can revoke sessions.`,
      );
      return;
    }
    const id = String(ctx.params.user ?? '');
    const user = state.directory.byOid(id) ?? state.directory.byUsername(id);
    if (!user) {
      ctx.status = 404;
      ctx.body = graphLikeError('Request_ResourceNotFound', `Resource '${id}' does not exist.`);
      return;
    }
    state.revokedAt.set(user.oid, Date.now());
    const sessions = [...state.ssoSessions.values()]
      .filter((session) => session.user.oid === user.oid)
      .map((session) => sessionLabel(session.sid));
    state.events.record({
      kind: 'revoked',
      text: `An administrator revoked ${user.userPrincipalName}'s sessions: ${sessions.length} SSO session(s) ended; every refresh token issued before now is refused (AADSTS50173); access tokens work until they expire`,
      user: user.userPrincipalName,
      sessions,
    });
    if (ctx.accepts('json', 'html') === 'html') {
      // The emulator's page: back to it, which says what happened.
      ctx.redirect(`/?revoked=${encodeURIComponent(user.oid)}`);
      return;
    }
    ctx.body = { '@odata.context': `${state.graphUrl}/v1.0/$metadata#Edm.Boolean`, value: true };
  };
}
