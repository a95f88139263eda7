import type { SessionUser } from '../core/session/sessions.ts';
import type { TokenUsed } from './graph-for-user.ts';

/**
 * What a request of a sample (or of the landing page) keeps in Koa's `ctx.state` for its pages,
 * typed once, here. The views read it (`render` passes it as locals); nothing else travels there.
 */
export interface PageState {
  /** This response's Content-Security-Policy nonce, which the one inline `<style>` carries. */
  nonce?: string;
  /** The sample's display name, in every page's header. */
  sample?: string;
  /** The sample's links, in every page's header. */
  links?: { signIn: string; signOut: string; api: { href: string; label: string } };
  /** `npm start`'s landing page, which every page links back to. */
  landingUrl?: string | undefined;
  /** Who is signed in (the session's user). */
  user?: SessionUser | undefined;
  /** How the pages name the user's identity platform session (a label, never the `sid`). */
  sessionLabel?: string | undefined;
  /** The access token an API page used: its claims, decoded, never itself. */
  tokenUsed?: TokenUsed | undefined;
}

declare module 'koa' {
  interface DefaultState extends PageState {}
}
