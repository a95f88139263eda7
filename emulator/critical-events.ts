/**
 * What an administrator does to a user, and what Continuous Access Evaluation (CAE) makes of it.
 * Entra calls them critical events: sessions revoked, account disabled, password reset. Each is
 * kept per user with its time. The identity platform refuses the user's older refresh tokens
 * after a revocation or a reset (AADSTS50173) and every sign-in while the account is disabled
 * (AADSTS50057); the Graph-like API refuses a CAE access token (`xms_cc` `cp1`) issued before an
 * event, once the propagation delay has passed, with a claims challenge. Ordinary access tokens are
 * not evaluated: they work until they expire, as in Entra.
 */
import { randomInt } from 'node:crypto';
import { GRAPH_APP_ID } from './directory.ts';
import { AADSTS } from './errors.ts';
import { sessionLabel } from './events.ts';
import type { CriticalEvent, CriticalEventKind, EmulatorState } from './state.ts';
import type { DemoUser } from './types.ts';

export type { CriticalEvent, CriticalEventKind } from './state.ts';

/** Events kept per user: only the latest decides anything, a few make the admin page's story. */
const KEPT_PER_USER = 10;

/** The `claims` parameter is short in practice (msal's is ~150 bytes); longer is refused. */
export const MAX_CLAIMS_LENGTH = 8 * 1024;

/**
 * An event's time in whole seconds, rounded up: the `nbf` a claims challenge asks for. A token is
 * from before the event when its `iat` is earlier; tokens issued after it get an `iat` no earlier
 * (see {@link earliestIssuedAt}), so that a fresh token is never refused for the rounding.
 */
export function eventSeconds(event: CriticalEvent): number {
  return Math.ceil(event.at / 1000);
}

function remember(state: EmulatorState, user: DemoUser, kind: CriticalEventKind): CriticalEvent {
  const event = { kind, at: Date.now() };
  const list = state.criticalEvents.get(user.oid) ?? [];
  list.push(event);
  if (list.length > KEPT_PER_USER) list.shift();
  state.criticalEvents.set(user.oid, list);
  return event;
}

/** The user's SSO sessions now, as labels (the timeline's names for them). */
function sessionsOf(state: EmulatorState, user: DemoUser): string[] {
  return [...state.ssoSessions.values()]
    .filter((session) => session.user.oid === user.oid)
    .map((session) => sessionLabel(session.sid));
}

function delayText(state: EmulatorState): string {
  const delay = state.criticalEventDelaySeconds;
  return delay > 0 ? `after ${delay} s (the propagation delay)` : 'at once';
}

/** Graph's `revokeSignInSessions`: Entra's "TokensValidFrom" moves to now. */
export function revokeSessions(state: EmulatorState, user: DemoUser): void {
  const sessions = sessionsOf(state, user);
  const event = remember(state, user, 'sessions-revoked');
  state.revokedAt.set(user.oid, event.at);
  state.events.record({
    kind: 'revoked',
    text: `An administrator revoked ${user.userPrincipalName}'s sessions: ${sessions.length} SSO session(s) ended; every refresh token issued before now is refused (AADSTS50173); the Graph-like API refuses CAE access tokens from before now ${delayText(state)}; ordinary access tokens work until they expire`,
    user: user.userPrincipalName,
    sessions,
  });
}

/** `accountEnabled: false`: no sign-in, no refresh token redeemed, until re-enabled. */
export function disableAccount(state: EmulatorState, user: DemoUser): void {
  const sessions = sessionsOf(state, user);
  remember(state, user, 'account-disabled');
  state.disabled.add(user.oid);
  state.events.record({
    kind: 'account-disabled',
    text: `An administrator disabled ${user.userPrincipalName}'s account: sign-ins and refresh tokens are refused (AADSTS50057) until it is enabled again; the Graph-like API refuses CAE access tokens from before now ${delayText(state)}; ordinary access tokens work until they expire`,
    user: user.userPrincipalName,
    sessions,
  });
}

/** `accountEnabled: true`: sign-in works again; refresh tokens not revoked meanwhile too. */
export function enableAccount(state: EmulatorState, user: DemoUser): void {
  const wasDisabled = state.disabled.delete(user.oid);
  state.events.record({
    kind: 'account-enabled',
    text: wasDisabled
      ? `An administrator enabled ${user.userPrincipalName}'s account again: sign-in works; refresh tokens not revoked meanwhile are accepted again; CAE access tokens from before the account was disabled stay refused`
      : `An administrator enabled ${user.userPrincipalName}'s account, which was not disabled: nothing changes`,
    user: user.userPrincipalName,
  });
}

/**
 * A password reset by an administrator: a new random password for this user only (shown on the
 * emulator's page, never in an event), the old one refused (AADSTS50126), and, as in Entra, the
 * user's refresh tokens and sessions revoked.
 */
export function resetPassword(state: EmulatorState, user: DemoUser): void {
  const sessions = sessionsOf(state, user);
  const event = remember(state, user, 'password-reset');
  state.passwords.set(user.oid, newPassword());
  state.revokedAt.set(user.oid, event.at);
  state.events.record({
    kind: 'password-reset',
    text: `An administrator reset ${user.userPrincipalName}'s password (the new one is on the emulator's page): the old one is refused (AADSTS50126); ${sessions.length} SSO session(s) ended and every refresh token issued before now is refused (AADSTS50173); the Graph-like API refuses CAE access tokens from before now ${delayText(state)}; ordinary access tokens work until they expire`,
    user: user.userPrincipalName,
    sessions,
  });
}

/** Twelve characters, with each kind Entra's password policy asks for. */
function newPassword(): string {
  const pick = (from: string, count: number) =>
    Array.from({ length: count }, () => from[randomInt(from.length)]).join('');
  return `${pick('ABCDEFGHJKLMNPQRSTUVWXYZ', 3)}${pick('abcdefghijkmnpqrstuvwxyz', 5)}${pick('23456789', 3)}!`;
}

/** The user's password: their own after a reset, else the tenant's one. */
export function passwordOf(state: EmulatorState, user: DemoUser): string {
  return state.passwords.get(user.oid) ?? state.password;
}

export function isDisabled(state: EmulatorState, user: DemoUser): boolean {
  return state.disabled.has(user.oid);
}

/** Refuses a sign-in or a grant of a disabled account (AADSTS50057). */
export function checkEnabled(state: EmulatorState, user: DemoUser): void {
  if (isDisabled(state, user)) throw AADSTS.userDisabled();
}

export function criticalEventsOf(state: EmulatorState, user: DemoUser): readonly CriticalEvent[] {
  return state.criticalEvents.get(user.oid) ?? [];
}

/**
 * The `iat` of an access token minted now: now, or the second of the user's latest event if that
 * is later (by under a second, from the rounding up): a token issued after an event is never
 * taken for one from before it.
 */
export function earliestIssuedAt(state: EmulatorState, user: DemoUser, nowSeconds: number): number {
  const latest = criticalEventsOf(state, user).at(-1);
  return latest ? Math.max(nowSeconds, eventSeconds(latest)) : nowSeconds;
}

/**
 * The latest event a CAE token issued at `iat` (seconds) is older than and which has propagated
 * to the Graph-like API by `now` (ms); `undefined` when the token is still good.
 */
export function eventAgainst(
  state: EmulatorState,
  user: DemoUser,
  iat: number,
  now: number,
): CriticalEvent | undefined {
  const delay = state.criticalEventDelaySeconds * 1000;
  return criticalEventsOf(state, user)
    .filter((event) => iat < eventSeconds(event) && event.at + delay <= now)
    .at(-1);
}

/** What a token request's `claims` parameter asks for, as far as the emulator reads it. */
export interface RequestedClaims {
  /** `access_token.xms_cc.values` holds `cp1` (any case): the client handles claims challenges. */
  cp1: boolean;
  /** `access_token.nbf.value`: a claims challenge answered (epoch seconds). */
  nbf?: number;
}

/**
 * Parses the `claims` parameter as msal sends it: a JSON object, such as
 * `{"id_token":{…},"access_token":{"xms_cc":{"values":["CP1"]},"nbf":{"essential":true,"value":"1702682181"}}}`.
 * Anything else is `invalid_request` (AADSTS9002313), never a server error.
 */
export function parseClaims(value: string | null): RequestedClaims {
  if (value === null || value.trim() === '') return { cp1: false };
  if (value.length > MAX_CLAIMS_LENGTH) {
    throw AADSTS.invalidClaims(`longer than ${MAX_CLAIMS_LENGTH} characters`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw AADSTS.invalidClaims('not JSON');
  }
  if (!isObject(parsed)) throw AADSTS.invalidClaims('not a JSON object');
  const accessToken = parsed.access_token;
  if (accessToken === undefined || accessToken === null) return { cp1: false };
  if (!isObject(accessToken)) throw AADSTS.invalidClaims("'access_token' is not an object");
  const values = isObject(accessToken.xms_cc) ? accessToken.xms_cc.values : undefined;
  if (values !== undefined && !Array.isArray(values)) {
    throw AADSTS.invalidClaims("'access_token.xms_cc.values' is not an array");
  }
  const cp1 = (values ?? []).some(
    (capability) => typeof capability === 'string' && capability.toLowerCase() === 'cp1',
  );
  const nbfValue = isObject(accessToken.nbf) ? accessToken.nbf.value : undefined;
  if (nbfValue === undefined) return { cp1 };
  const nbf = Number(nbfValue);
  if (!/^\d{1,12}$/.test(String(nbfValue)) || !Number.isSafeInteger(nbf)) {
    throw AADSTS.invalidClaims("'access_token.nbf.value' is not a time in epoch seconds");
  }
  return { cp1, nbf };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Graph's words for a CAE refusal: the same for every critical event in the emulator. */
export const CAE_CHALLENGE_MESSAGE =
  'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp';

/**
 * The claims a client must send back, base64 (standard, padded) in the challenge's `claims`:
 * Graph's own JSON, space included.
 */
export function challengeClaims(event: CriticalEvent): string {
  const json = `{"access_token":{"nbf":{"essential":true, "value":"${eventSeconds(event)}"}}}`;
  return Buffer.from(json).toString('base64');
}

/** Graph's `WWW-Authenticate` for a CAE refusal, parameter for parameter. */
export function challengeHeader(state: EmulatorState, event: CriticalEvent): string {
  return [
    'Bearer realm=""',
    `authorization_uri="${state.identityUrl}/common/oauth2/authorize"`,
    `client_id="${GRAPH_APP_ID}"`,
    `errorDescription="${CAE_CHALLENGE_MESSAGE}"`,
    'error="insufficient_claims"',
    `claims="${challengeClaims(event)}"`,
  ].join(', ');
}

/** What happened, as the timeline says it: "… was issued before <this>". */
export const EVENT_CLAUSES: Record<CriticalEventKind, string> = {
  'sessions-revoked': "the user's sessions were revoked",
  'account-disabled': 'the account was disabled',
  'password-reset': 'the password was reset',
};

/** What happened, as the emulator's page lists it. */
export const EVENT_WORDS: Record<CriticalEventKind, string> = {
  'sessions-revoked': 'sessions revoked',
  'account-disabled': 'account disabled',
  'password-reset': 'password reset',
};
