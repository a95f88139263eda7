/**
 * The landing page of `npm start`: the four samples side by side, each with a live view of what
 * its token cache holds, so that a sign-out anywhere shows which samples forgot the user.
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { TokenCacheSummary } from '../../shared/token-cache/serialized-cache.ts';
import { FAVICON, render } from '../../shared/web/render.ts';

export interface LandingSample {
  /** `aspnetcore`, or `aspnetcore-2` for a second instance. */
  id: string;
  displayName: string;
  url: string;
  /** What the documentation page says the sample does on global sign-out. */
  onGlobalSignOut: string;
}

export function createLandingApp(samples: LandingSample[], emulatorUrl: string | undefined): Koa {
  const router = new Router();
  router.get('/', (ctx) => render(ctx, 'landing', { samples, emulatorUrl }, null));
  router.get('/favicon.ico', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.body = FAVICON;
  });
  // The page polls this: each sample's inspector, fetched here (the samples are other origins).
  router.get('/summaries', async (ctx) => {
    const entries = await Promise.all(
      samples.map(async (sample) => [sample.id, await summaryOf(sample.url)]),
    );
    ctx.set('Cache-Control', 'no-store');
    ctx.body = Object.fromEntries(entries);
  });
  const app = new Koa();
  app.use(router.routes());
  return app;
}

async function summaryOf(url: string): Promise<TokenCacheSummary | { error: string }> {
  try {
    const response = await fetch(`${url}/cache`, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(2_000),
    });
    if (response.status === 404) return { error: 'inspector off' };
    if (!response.ok) return { error: `answered ${response.status}` };
    return (await response.json()) as TokenCacheSummary;
  } catch {
    return { error: 'not reachable' };
  }
}
