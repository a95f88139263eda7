/**
 * The emulator's public types: what a program that starts it passes in and gets back. They import
 * nothing but the event log's type, so every other file of the emulator can use them without an
 * import cycle.
 */
import type { EventLog } from './events.ts';

/** An application registered in the emulated tenant, as in the Entra admin center. */
export interface AppRegistration {
  displayName: string;
  /** Lower-case GUID. */
  clientId: string;
  clientSecret: string;
  /** Matched exactly, like Entra; also the only accepted `post_logout_redirect_uri` values. */
  redirectUris: string[];
  /** Loaded in a hidden iframe, with `?sid=…`, when a user signs out of a session this app used. */
  frontChannelLogoutUrl?: string;
  /**
   * Optional id token claims the app asks for, as in Entra's "Token configuration": without
   * `sid` an app finds the session's id in the response's `session_state` only; without
   * `login_hint` it has no `logout_hint` to send.
   */
  optionalClaims?: Array<'sid' | 'login_hint'>;
  /**
   * The delegated Graph permissions of its "API permissions", consented for the tenant: all it
   * can ever be granted (`User.Read`, `User.ReadBasic.All`, `Mail.Read`). Without the list,
   * `User.Read`, what Entra gives a new registration.
   */
  apiPermissions?: string[];
  /**
   * "ID tokens (used for implicit and hybrid flows)" of its "Authentication" page (Graph's
   * `web.implicitGrantSettings.enableIdTokenIssuance`): without it, as in Entra, the authorize
   * endpoint issues no id token (`response_type=code id_token` gets AADSTS700054). Off by default:
   * a signed id token through the user's SSO session, for any process on a loopback port (which
   * every loopback redirect URI matches), with no secret.
   */
  enableIdTokenIssuance?: boolean;
}

export interface EmulatorOptions {
  /** Port of the identity platform; 0 picks a free one. */
  port: number;
  /** Port of the Graph-like API; 0 picks a free one. */
  graphPort: number;
  /** Lower-case GUID; {@link EMULATOR_DEFAULTS} has the default. */
  tenantId: string;
  /** The one password of every demo user; {@link EMULATOR_DEFAULTS} has the default. */
  password: string;
  apps: AppRegistration[];
  /**
   * The URLs apps reach the two servers at, when not `http://localhost:<port>` (behind a proxy,
   * under another host name). The identity platform's becomes part of the issuer and of every
   * endpoint it advertises. Their hosts, and the loopback names, are the only `Host`s the two
   * servers answer; any other gets 421 (a site rebound to 127.0.0.1 must not read them).
   */
  publicUrls?: { identity?: string; graph?: string };
  /** Entra sends `?sid=` only; true adds `&iss=` as OIDC Front-Channel Logout 1.0 says. */
  frontChannelLogoutIncludesIss?: boolean;
  /**
   * The sign-out page continues to the app by itself once every front-channel frame has loaded,
   * as Entra's does; by default it waits for the user to press Continue, so that they can read it.
   */
  logoutAutoContinue?: boolean;
  /**
   * Users beyond the three demo users, for load tests and benchmarks: `loaduser00001@…`, with the
   * same password.
   */
  generatedUsers?: number;
  /** `expires_in` of ordinary access tokens; 3600 unless a test wants them short-lived. */
  accessTokenLifetimeSeconds?: number;
  /**
   * `expires_in` of CAE access tokens, those of a client that declared the capability `cp1` (its
   * token request's `claims`): 86400 (24 h) unless told otherwise; Entra's reach 28 hours.
   */
  caeAccessTokenLifetimeSeconds?: number;
  /**
   * How long a critical event (sessions revoked, account disabled, password reset) takes to reach
   * the Graph-like API, which then refuses CAE tokens issued before it: 0 unless told otherwise;
   * Entra's take up to 15 minutes.
   */
  criticalEventDelaySeconds?: number;
}

/** A member of the emulated tenant. */
export interface DemoUser {
  oid: string;
  displayName: string;
  userPrincipalName: string;
  givenName: string;
  surname: string;
  jobTitle: string;
  mail: string;
  /**
   * Entra's built-in directory roles the user holds (`Global Administrator`…): the administrator
   * has one, the demo and generated users none.
   */
  directoryRoles?: readonly string[];
}

export interface RunningEmulator {
  /** e.g. `http://localhost:4000`, with the actual port. */
  identityUrl: string;
  /** e.g. `http://localhost:4001`, with the actual port. */
  graphUrl: string;
  tenantId: string;
  /** `${identityUrl}/${tenantId}/v2.0` */
  issuer: string;
  /** `aud` of access tokens for the Graph-like API (Microsoft Graph's app id). */
  graphAudience: string;
  users: DemoUser[];
  /** What the emulator saw, for tests: one entry per token endpoint call / Graph call (the last 1,000). */
  tokenRequests: Array<{ grantType: string; clientId: string; ok: boolean }>;
  graphRequests: Array<{ path: string; status: number; oid?: string }>;
  /** What it did, in order, for the timeline: also at `GET /events`. */
  events: EventLog;
  /**
   * For tests: the `sid` of the SSO session a browser's `Cookie` header (as sent to the identity
   * platform) names. No page shows it: it is all a front-channel sign-out needs.
   */
  sidOf(cookieHeader: string): string | undefined;
  /**
   * The applications created through the Graph-like API since it started (`PATCH
   * /v1.0/applications(uniqueName='…')`), oldest first, not those deleted (in deleted items): in
   * memory only, gone when it stops.
   */
  applications(): Array<{ appId: string; displayName: string; uniqueName: string | null }>;
  /** How much it holds now: each kind of state is bounded, and expires. */
  census(): { flows: number; codes: number; refreshTokens: number; ssoSessions: number };
  close(): Promise<void>;
}
