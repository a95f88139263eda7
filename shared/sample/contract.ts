/**
 * The contract between a sample's folder and the shared layer. A sample declares its app
 * registration (`registration.ts`) and its sign-out policy (`sign-out.ts`), and builds its routes
 * (`app.ts`) from the services the shared layer gives it (`services.ts`).
 */
import type Router from '@koa/router';
import type { TokenCacheOperations } from '../core/token-cache/token-cache.ts';
import type { SampleRegistration } from './registration.ts';
import type { SampleServices } from './services.ts';

export interface SampleDefinition {
  registration: SampleRegistration;
  /** One line for the landing page: what the sample does when the user signs out elsewhere. */
  onGlobalSignOut: string;
  createRoutes(services: SampleServices): SampleRoutes;
}

/** What a sample's `app.ts` builds: its routes, its links, and a view of its token cache. */
export interface SampleRoutes {
  router: Router;
  /** Shown in every page's header. */
  links: { signIn: string; signOut: string; api: { href: string; label: string } };
  /** The sample's token cache: the inspector shows its summary (counts only, never tokens). */
  tokenCache: TokenCacheOperations;
  /** Stops what the routes run in the background, if anything (the sample is stopping). */
  close?(): void;
}
