/**
 * The core's public API: what an app imports to sign users in with msal-node, keep their tokens
 * in a token cache, and remove them on every sign-out, including the identity platform's, by
 * `sid`, without a cookie. See `README.md` beside this file, and docs/your-own-koa-app.md.
 */

// Only the app's own host names are answered (DNS rebinding).
export { allowedHosts } from './allowed-hosts.ts';
export { type CallApi, callApi } from './call-api.ts';
export { ServiceUnavailableError, StartupError } from './errors.ts';
// What the core did, for whoever listens; errors a person can act on.
export { type CoreEvent, onCoreEvent } from './events.ts';
// Calling an API with the user's token; sign-out by `sid`.
export { GraphClient, GraphError } from './graph-client.ts';
export { endSessionUrl } from './msal/end-session.ts';
// The identity platform: discovery at start-up, msal clients, sign-in, the end-session URL.
export { discoverIdentityProvider, type IdentityProvider } from './msal/identity-provider.ts';
export { createMsalClient } from './msal/msal-client.ts';
export { OpenIdSignIn, SignInError, type SignInRequest } from './msal/sign-in.ts';
// Reading what the identity platform posts (a form_post sign-in, a front-channel POST), bounded.
export { queryParams, readForm } from './read-form.ts';
export { PendingSignOuts } from './session/pending-sign-outs.ts';
export { sessionExpiresAt, sessionMiddleware } from './session/session-middleware.ts';
// Server-side sessions and their index by `sid`; Koa's session middleware over them.
export { SESSION_MAX_AGE_MS, Sessions, type SessionUser } from './session/sessions.ts';
// Settings: plain values, read however the app likes.
export type { AppSettings, IdentityPlatformSettings } from './settings.ts';
export { frontChannelLogout, removeEverythingOf } from './sign-out.ts';
export { EncryptedStore } from './store/encrypted-store.ts';
// Where sessions and tokens are kept: a store (memory, Redis, encrypted).
export { type KeyValueStore, MemoryStore } from './store/key-value-store.ts';
export { RedisStore } from './store/redis-store.ts';
// The token cache: one contract, a partition per user or per session.
export type { TokenCachePartition } from './token-cache/cache-plugin.ts';
export { PerUserTokenCache } from './token-cache/per-user-token-cache.ts';
export { SessionTokenCache } from './token-cache/session-token-cache.ts';
export type { TokenCache, TokenCacheRequest } from './token-cache/token-cache.ts';
