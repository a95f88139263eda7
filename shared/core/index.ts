/**
 * The core's public API: what an app imports to sign users in with msal-node, keep their tokens
 * in a token cache, and remove them on every sign-out, including the identity platform's, by
 * `sid`, without a cookie. See `README.md` beside this file, and docs/your-own-koa-app.md. In
 * short: settings (`AppSettings`, `IdentityPlatformSettings`) as plain values; the identity
 * platform (`discoverIdentityProvider`, `createMsalClient`, `OpenIdSignIn`, `endSessionUrl`); where
 * sessions and tokens are kept (`MemoryStore`, `RedisStore`, `EncryptedStore`); sessions and their
 * index by `sid` (`Sessions`, `sessionMiddleware`, `PendingSignOuts`); the token cache, one contract
 * (`TokenCache`) over a partition per user or per session; an API call with the user's token
 * (`callApi`); sign-out by `sid` (`removeEverythingOf`, `frontChannelLogout`); what the identity
 * platform posts (`readForm`), only the app's own host names (`allowedHosts`); what the core did
 * (`onCoreEvent`); errors a person can act on.
 */
export { allowedHosts } from './allowed-hosts.ts';
export { type CallApi, callApi, type SignInAgainWithClaims } from './call-api.ts';
export { claimsChallengeOf } from './claims-challenge.ts';
export { ServiceUnavailableError, StartupError } from './errors.ts';
export { type CoreEvent, onCoreEvent } from './events.ts';
export { GraphClient, GraphError } from './graph-client.ts';
export { endSessionUrl } from './msal/end-session.ts';
export { discoverIdentityProvider, type IdentityProvider } from './msal/identity-provider.ts';
export { createMsalClient, type MsalClientOptions } from './msal/msal-client.ts';
export { OpenIdSignIn, SignInError, type SignInRequest } from './msal/sign-in.ts';
export { queryParams, readForm } from './read-form.ts';
export { PendingSignOuts } from './session/pending-sign-outs.ts';
export { sessionExpiresAt, sessionMiddleware } from './session/session-middleware.ts';
export { SESSION_MAX_AGE_MS, Sessions, type SessionUser } from './session/sessions.ts';
export type { AppSettings, IdentityPlatformSettings } from './settings.ts';
export { frontChannelLogout, removeEverythingOf } from './sign-out.ts';
export { EncryptedStore } from './store/encrypted-store.ts';
export { type KeyValueStore, MemoryStore } from './store/key-value-store.ts';
export { RedisStore } from './store/redis-store.ts';
export type { TokenCachePartition } from './token-cache/cache-plugin.ts';
export { PerUserTokenCache } from './token-cache/per-user-token-cache.ts';
export { SessionTokenCache } from './token-cache/session-token-cache.ts';
export type { TokenCache, TokenCacheRequest } from './token-cache/token-cache.ts';
