/** Everything the emulator remembers: configuration, signing key, and what it issued, in memory. */
import { ExpiringMap } from './expiring-map.ts';
import type { SigningKey } from './keys.ts';
import type { Scopes } from './scopes.ts';
import type { AppRegistration, DemoUser, EmulatorOptions, RunningEmulator } from './types.ts';

const TEN_MINUTES = 10 * 60;
const ONE_DAY = 24 * 60 * 60;

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
  codeChallenge?: string;
  loginHint?: string;
  /** The app sent `client_info=1` (msal does) and wants `client_info` back with the code. */
  wantsClientInfo: boolean;
}

export interface AuthorizationCode extends PendingAuthorization {
  user: DemoUser;
  sid: string;
  redeemed: boolean;
}

/** What a code or a refresh token stands for: who, in which app and SSO session, allowed to do what. */
export interface Grant {
  user: DemoUser;
  clientId: string;
  sid: string;
  scopes: Scopes;
  nonce?: string;
}

/** A browser's single sign-on session: one `sid` shared by every app signed in through it. */
export interface SsoSession {
  sid: string;
  user: DemoUser;
  clientIds: Set<string>;
}

export interface EmulatorState {
  tenantId: string;
  identityUrl: string;
  graphUrl: string;
  issuer: string;
  password: string;
  apps: readonly AppRegistration[];
  frontChannelLogoutIncludesIss: boolean;
  accessTokenLifetimeSeconds: number;
  signingKey: SigningKey;
  /** Authorize requests waiting for the sign-in form, by flow token. */
  flows: ExpiringMap<PendingAuthorization>;
  /** Single use; kept after redemption so that a second one gets AADSTS54005. */
  codes: ExpiringMap<AuthorizationCode>;
  /** Never revoked by sign-out, as in Entra; rotation leaves the old token valid. */
  refreshTokens: ExpiringMap<Grant>;
  /** By the value of the browser's SSO cookie (not by sid, which apps see). */
  ssoSessions: ExpiringMap<SsoSession>;
  tokenRequests: RunningEmulator['tokenRequests'];
  graphRequests: RunningEmulator['graphRequests'];
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
    apps: options.apps,
    frontChannelLogoutIncludesIss: options.frontChannelLogoutIncludesIss ?? false,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3600,
    signingKey,
    flows: new ExpiringMap(TEN_MINUTES),
    codes: new ExpiringMap(TEN_MINUTES),
    refreshTokens: new ExpiringMap(90 * ONE_DAY),
    ssoSessions: new ExpiringMap(ONE_DAY),
    tokenRequests: [],
    graphRequests: [],
  };
}

export function findApp(state: EmulatorState, clientId: string): AppRegistration | undefined {
  return state.apps.find((app) => app.clientId === clientId);
}
