/**
 * What the core did, as small typed events on one `node:diagnostics_channel` channel: sign-ins,
 * the token each API call used, tokens removed, sessions ended by `sid`, sign-outs kept for later.
 *
 * The core knows nobody who listens. A demo's timeline, a log, a metrics exporter subscribe with
 * {@link onCoreEvent}; with no subscriber, an event costs one `hasSubscribers` check. Events say
 * what happened with identifiers (`homeAccountId`, `sid`, user names): never a token, a code, a
 * cookie or a session key. A `sid` is still worth protecting: whoever knows one can ask the app's
 * front-channel logout URL to sign its users out; log a digest or a label of it, not the value (the
 * demo's timeline shows a label). Several apps in one process tell theirs apart by `app`.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** Who an event is about, as the session records them at sign-in. */
export interface EventUser {
  homeAccountId: string;
  username: string;
  /** The identity platform session they signed in through. */
  sid: string;
}

/** The source of an access token a request used. */
export type TokenSource =
  | 'cached access token'
  | 'refresh token redeemed'
  /** A copy the app kept outside the token cache (Microsoft's Node sample: in the session). */
  | 'access token kept in the session';

/** Why a user must sign in again (see `acquireTokenSilently`). */
export type SignInAgainReason = 'no-account' | 'interaction' | 'refused';

export type CoreEvent = { app: string } & (
  | { type: 'sign-in-started'; responseMode: string; prompt?: string }
  | { type: 'signed-in'; user: EventUser; tokensKeptIn: 'the session' | 'a partition' }
  | { type: 'sign-in-failed'; reason: string }
  | {
      type: 'api-called';
      user: EventUser;
      /** The API path called, e.g. `/v1.0/me`. */
      path: string;
      source: TokenSource;
      /** When the token used expires (epoch ms), if known. */
      expiresOn?: number;
    }
  /** An access token taken from the cache for the app to keep a copy of (see `acquireToken`). */
  | { type: 'token-acquired'; user: EventUser; source: TokenSource; expiresOn?: number }
  | { type: 'sign-in-again'; user: EventUser; reason: SignInAgainReason }
  /**
   * The API refused the user's access token with a claims challenge (Continuous Access
   * Evaluation: sessions revoked, account disabled, password reset…): the token was dropped, and
   * msal asked again with the challenge's claims. `renewed`: it got a new token, and the call was
   * made again; `sign-in-again`: the identity platform wants the user, who is sent to sign in with
   * the claims. Never the claims themselves.
   */
  | { type: 'claims-challenge'; user: EventUser; outcome: 'renewed' | 'sign-in-again' }
  /** A user's tokens left the token cache (a sign-out): their partition was deleted. */
  | { type: 'tokens-removed'; homeAccountId: string }
  /** Sessions signed in through `sid` were ended (all of them, or one user's). */
  | { type: 'sessions-ended'; sid: string; sessions: number; users: string[] }
  /** A front-channel sign-out of `sid` waits for the store, was carried out at last, or keeps failing. */
  | { type: 'sign-out-pending'; sid: string; state: 'waiting' | 'carried out' | 'failing' }
);

/** The channel's name: one per project, so that several copies of the core do not mix. */
export const CHANNEL = 'msal-koa-sign-out:core';

const channel = diagnosticsChannel.channel(CHANNEL);

/** Publishes `event` to whoever listens (nobody, usually: then nothing is built). */
export function emit(event: CoreEvent): void {
  if (channel.hasSubscribers) channel.publish(event);
}

/**
 * Calls `listener` with every event of the core from now on, synchronously, in the code path that
 * emitted it (`AsyncLocalStorage` sees the request's store); returns how to stop. A listener that
 * throws is logged, and the core goes on (`diagnostics_channel` itself would rethrow it as an
 * uncaught exception, which stops the process).
 */
export function onCoreEvent(listener: (event: CoreEvent) => void): () => void {
  const subscriber = (message: unknown) => {
    try {
      listener(message as CoreEvent);
    } catch (error) {
      console.error(`A listener of ${CHANNEL} failed:`, error);
    }
  };
  channel.subscribe(subscriber);
  return () => {
    channel.unsubscribe(subscriber);
  };
}
