/** The browser's single sign-on session at the emulator, behind a cookie like Entra's ESTSAUTH. */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { isDisabled } from './critical-events.ts';
import { randomToken } from './secrets.ts';
import { type EmulatorState, revokedSince, type SsoSession } from './state.ts';
import type { DemoUser } from './types.ts';

/** Distinct from every sample's cookie: browsers share cookies across the ports of localhost. */
const SSO_COOKIE = 'emulator.ESTSAUTH';
// Not Secure: the emulator serves plain http on localhost. `overwrite` keeps one Set-Cookie per response.
const COOKIE_OPTIONS = {
  httpOnly: true,
  sameSite: 'lax',
  path: '/',
  secure: false,
  overwrite: true,
} as const;

/**
 * A random id for this browser, in a cookie of its own (set on first use). A sign-in flow belongs
 * to the browser that started it: a form posted from another site, where this SameSite=Lax cookie
 * does not come along, cannot plant a session (login CSRF).
 */
export function browserId(ctx: Koa.Context): string {
  const current = ctx.cookies.get(BROWSER_COOKIE);
  if (current && /^[\w-]{43}$/.test(current)) return current;
  const id = randomToken();
  ctx.cookies.set(BROWSER_COOKIE, id, COOKIE_OPTIONS);
  return id;
}

const BROWSER_COOKIE = 'emulator.browser';

/**
 * This browser's SSO session, unless an administrator revoked its user's sessions (or reset their
 * password) since, or disabled the account: a disabled user's session signs nobody in, and the
 * form then says why (AADSTS50057).
 */
export function currentSsoSession(ctx: Koa.Context, state: EmulatorState): SsoSession | undefined {
  const session = liveSsoSession(ctx, state);
  return session && isDisabled(state, session.user) ? undefined : session;
}

/**
 * This browser's SSO session unless revoked, even if its user's account is disabled: what a
 * sign-out ends and the emulator's page shows.
 */
export function liveSsoSession(ctx: Koa.Context, state: EmulatorState): SsoSession | undefined {
  const cookie = ctx.cookies.get(SSO_COOKIE);
  const session = cookie ? state.ssoSessions.get(cookie) : undefined;
  if (session && cookie && revokedSince(state, session.user, session.startedAt)) {
    state.ssoSessions.delete(cookie);
    return undefined;
  }
  return session;
}

/**
 * The SSO session a browser's `Cookie` header names: how tests learn a session's `sid`, which no
 * page shows.
 */
export function ssoSessionNamedBy(
  state: EmulatorState,
  cookieHeader: string,
): SsoSession | undefined {
  const prefix = `${SSO_COOKIE}=`;
  const pair = cookieHeader.split(';').find((each) => each.trim().startsWith(prefix));
  return pair ? state.ssoSessions.get(pair.trim().slice(prefix.length)) : undefined;
}

/** After the form: the same user keeps the session (and its sid); another user gets a new one. */
export function startSsoSession(
  ctx: Koa.Context,
  state: EmulatorState,
  user: DemoUser,
): SsoSession {
  const current = currentSsoSession(ctx, state);
  if (current?.user.oid === user.oid) return current;
  endSsoSession(ctx, state);
  const session: SsoSession = {
    sid: randomUUID(),
    user,
    clientIds: new Set(),
    startedAt: Date.now(),
  };
  const cookie = randomToken();
  state.ssoSessions.set(cookie, session);
  ctx.cookies.set(SSO_COOKIE, cookie, COOKIE_OPTIONS);
  return session;
}

/** Forgets the session and expires the cookie; returns the session that ended, if any. */
export function endSsoSession(ctx: Koa.Context, state: EmulatorState): SsoSession | undefined {
  const session = liveSsoSession(ctx, state);
  const cookie = ctx.cookies.get(SSO_COOKIE);
  if (cookie) state.ssoSessions.delete(cookie);
  ctx.cookies.set(SSO_COOKIE, null, COOKIE_OPTIONS);
  return session;
}
