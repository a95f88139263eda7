/** Everything the emulator remembers: configuration, signing key, and what it issued, in memory. */
import { Applications, registrationOf, secretMatches } from './applications.ts';
import { Directory } from './directory.ts';
import { EventLog } from './events.ts';
import { ExpiringMap } from './expiring-map.ts';
import type { SigningKey } from './keys.ts';
import { AZURE_CLI, type Scopes } from './scopes.ts';
import { safeEqual } from './secrets.ts';
import type { AppRegistration, DemoUser, EmulatorOptions, RunningEmulator } from './types.ts';

const TEN_MINUTES = 10 * 60;
const ONE_DAY = 24 * 60 * 60;

/** Token lifetimes and the propagation delay unless the options say otherwise (seconds). */
export const DEFAULT_DURATIONS = {
  /** Entra's ordinary access tokens: about an hour. */
  accessTokenLifetimeSeconds: 3600,
  /** CAE access tokens: long, since the API evaluates them (Entra's reach 28 hours). */
  caeAccessTokenLifetimeSeconds: ONE_DAY,
  /** Entra's critical events take up to 15 minutes to reach a resource; here, none by default. */
  criticalEventDelaySeconds: 0,
} as const;

export type ResponseMode = 'query' | 'fragment' | 'form_post';

/** Where and how the authorization response goes back to the app. */
export interface ClientReply {
  redirectUri: string;
  responseMode: ResponseMode;
  state?: string;
}

/** A validated authorize request; while the user signs in Entra keeps it behind a "flow token". */
export interface PendingAuthorization {
  clientId: string;
  reply: ClientReply;
  scopes: Scopes;
  nonce?: string;
  /** PKCE: the challenge and its method (`plain` when the request named none, as RFC 7636 says). */
  codeChallenge?: { value: string; method: 'S256' | 'plain' };
  /** `response_type=code id_token`: the hybrid flow, an id token with the code. */
  hybrid: boolean;
  loginHint?: string;
  /** The app sent `client_info=1` (msal does) and wants `client_info` back with the code. */
  wantsClientInfo: boolean;
}

export interface AuthorizationCode extends PendingAuthorization {
  user: DemoUser;
  sid: string;
  redeemed: boolean;
  /** When the user signed in to the SSO session the code came from. */
  authenticatedAt: number;
}

/** What a code or a refresh token stands for: who, in which app and SSO session, allowed to do what. */
export interface Grant {
  user: DemoUser;
  clientId: string;
  sid: string;
  scopes: Scopes;
  nonce?: string;
  /** When the sign-in behind it happened (epoch ms): revoking the user's sessions voids older grants. */
  authenticatedAt: number;
}

/** A browser's single sign-on session: one `sid` shared by every app signed in through it. */
export interface SsoSession {
  sid: string;
  user: DemoUser;
  clientIds: Set<string>;
  /** When the user signed in (epoch ms). */
  startedAt: number;
}

export type CriticalEventKind = 'sessions-revoked' | 'account-disabled' | 'password-reset';

/** What an administrator did to a user that CAE evaluates tokens against (`critical-events.ts`). */
export interface CriticalEvent {
  kind: CriticalEventKind;
  /** Epoch ms. */
  at: number;
}

export interface EmulatorState {
  tenantId: string;
  identityUrl: string;
  graphUrl: string;
  issuer: string;
  password: string;
  directory: Directory;
  /** The apps of the options. */
  apps: readonly AppRegistration[];
  /** The applications created through the Graph-like API since the emulator started. */
  applications: Applications;
  frontChannelLogoutIncludesIss: boolean;
  /** The logout page continues by itself once its frames have loaded, as Entra's does. */
  logoutAutoContinue: boolean;
  accessTokenLifetimeSeconds: number;
  /** The lifetime of CAE access tokens (`xms_cc` `cp1`): long, since the API evaluates them. */
  caeAccessTokenLifetimeSeconds: number;
  /** How long a critical event takes to reach the Graph-like API (Entra: up to 15 minutes). */
  criticalEventDelaySeconds: number;
  signingKey: SigningKey;
  /**
   * Authorize requests waiting for the sign-in form, by flow token, with the browser that made
   * them: the form is accepted from that browser only (no login CSRF).
   */
  flows: ExpiringMap<{ pending: PendingAuthorization; browser: string }>;
  /** Single use; kept after redemption so that a second one gets AADSTS54005. */
  codes: ExpiringMap<AuthorizationCode>;
  /** Never revoked by sign-out, as in Entra; rotation leaves the old token valid. */
  refreshTokens: ExpiringMap<Grant>;
  /** By the value of the browser's SSO cookie (not by sid, which apps see). */
  ssoSessions: ExpiringMap<SsoSession>;
  /**
   * Users whose sessions an administrator revoked, and when (Entra's "TokensValidFrom"): refresh
   * tokens, codes and SSO sessions from before then are no longer accepted.
   */
  revokedAt: Map<string, number>;
  /** Critical events by user (oid), oldest first: what CAE evaluates tokens against. */
  criticalEvents: Map<string, CriticalEvent[]>;
  /** Users whose account an administrator disabled (oids). */
  disabled: Set<string>;
  /** Users' own passwords after an administrator reset them (by oid); the others have `password`. */
  passwords: Map<string, string>;
  /**
   * The SSO session (`sid`) each CAE access token came from, by its `uti`: the timeline names the
   * session of a token the Graph-like API challenges (the token itself carries no `sid`).
   */
  caeTokenSessions: ExpiringMap<string>;
  tokenRequests: RunningEmulator['tokenRequests'];
  graphRequests: RunningEmulator['graphRequests'];
  /** What happened, for the timeline (`GET /events`). */
  events: EventLog;
}

export function createState(
  options: EmulatorOptions,
  urls: { identityUrl: string; graphUrl: string },
  signingKey: SigningKey,
): EmulatorState {
  return {
    tenantId: options.tenantId,
    ...urls,
    issuer: `${urls.identityUrl}/${options.tenantId}/v2.0`,
    password: options.password,
    directory: new Directory(options.generatedUsers ?? 0),
    apps: options.apps,
    applications: new Applications(),
    frontChannelLogoutIncludesIss: options.frontChannelLogoutIncludesIss ?? false,
    logoutAutoContinue: options.logoutAutoContinue ?? false,
    accessTokenLifetimeSeconds:
      options.accessTokenLifetimeSeconds ?? DEFAULT_DURATIONS.accessTokenLifetimeSeconds,
    caeAccessTokenLifetimeSeconds:
      options.caeAccessTokenLifetimeSeconds ?? DEFAULT_DURATIONS.caeAccessTokenLifetimeSeconds,
    criticalEventDelaySeconds:
      options.criticalEventDelaySeconds ?? DEFAULT_DURATIONS.criticalEventDelaySeconds,
    signingKey,
    // Bounded, so that no flood of requests grows the emulator without end; far above what a
    // person (or the load test) has in flight at once.
    flows: new ExpiringMap(TEN_MINUTES, 2_000),
    codes: new ExpiringMap(TEN_MINUTES, 2_000),
    refreshTokens: new ExpiringMap(90 * ONE_DAY, 100_000),
    ssoSessions: new ExpiringMap(ONE_DAY, 10_000),
    revokedAt: new Map(),
    criticalEvents: new Map(),
    disabled: new Set(),
    passwords: new Map(),
    caeTokenSessions: new ExpiringMap(
      options.caeAccessTokenLifetimeSeconds ?? DEFAULT_DURATIONS.caeAccessTokenLifetimeSeconds,
      100_000,
    ),
    tokenRequests: [],
    graphRequests: [],
    events: new EventLog(),
  };
}

/** How many recent token and Graph requests the emulator remembers (for tests and pages). */
export const RECORDED_REQUESTS = 1_000;

/** Records a request, forgetting the oldest beyond {@link RECORDED_REQUESTS}. */
export function record<T>(log: T[], entry: T): void {
  log.push(entry);
  if (log.length > RECORDED_REQUESTS) log.splice(0, log.length - RECORDED_REQUESTS);
}

/** An error in Microsoft Graph's shape, for the emulator's Graph-like endpoints. */
export function graphLikeError(code: string, message: string) {
  return { error: { code, message } };
}

/** Whether what `user` did at `at` was before an administrator revoked their sessions. */
export function revokedSince(state: EmulatorState, user: DemoUser, at: number): boolean {
  return (state.revokedAt.get(user.oid) ?? -1) >= at;
}

/** The registered app with this client id: one of the options', or one created through Graph. */
export function findApp(state: EmulatorState, clientId: string): AppRegistration | undefined {
  const configured = state.apps.find((app) => app.clientId === clientId);
  if (configured) return configured;
  const created = state.applications.byAppId(clientId);
  return created && registrationOf(created);
}

/** Every registered app: the options', then those created through Graph, oldest first. */
export function allApps(state: EmulatorState): AppRegistration[] {
  return [...state.apps, ...state.applications.all().map(registrationOf)];
}

/**
 * Whether `secret` is a client secret of `app`: the options' `clientSecret`, or any password
 * credential of an application created through Graph that has not expired. In constant time.
 */
export function clientSecretMatches(
  state: EmulatorState,
  app: AppRegistration,
  secret: string,
): boolean {
  if (state.apps.includes(app)) return safeEqual(secret, app.clientSecret);
  const created = state.applications.byAppId(app.clientId);
  return created !== undefined && secretMatches(created, secret);
}

/** What the timeline calls a client: a registered app's name, the Azure CLI, or its bare id. */
export function clientName(state: EmulatorState, clientId: string): string {
  if (clientId === AZURE_CLI.clientId) return AZURE_CLI.displayName;
  return findApp(state, clientId)?.displayName ?? clientId;
}
