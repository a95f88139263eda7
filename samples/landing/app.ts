/**
 * The landing page of `npm start`: the five samples side by side, each with a live view of what
 * its token cache holds, and a timeline of what the samples and the identity platform did. A
 * sign-out anywhere shows, as it happens, which samples forgot the user and which kept tokens.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { allowedHosts } from '../../shared/core/allowed-hosts.ts';
import type { Inspection } from '../../shared/sample/inspector.ts';
import type { Timeline } from '../../shared/timeline/timeline.ts';
import { pageHeaders } from '../../shared/web/page-headers.ts';
import { FAVICON, render } from '../../shared/web/render.ts';
import { cardOf } from './card.ts';
import { type LandingEvent, TimelineFeed } from './timeline-feed.ts';

export interface LandingSample {
  /** `aspnetcore`, or `aspnetcore-2` for a second instance. */
  id: string;
  displayName: string;
  url: string;
  /** What the documentation page says the sample does on global sign-out. */
  onGlobalSignOut: string;
  /** What the sample does, as it does it (only when its cache inspector is on). */
  timeline?: Timeline;
}

/** Pages following the timeline at once (each holds a connection open). */
const MAX_STREAMS = 32;
const KEEP_ALIVE_MS = 15_000;

export function createLandingApp(
  samples: LandingSample[],
  emulatorUrl: string | undefined,
): { app: Koa; close(): void } {
  const feed = new TimelineFeed(samples, emulatorUrl);
  const streams = new Set<ServerResponse>();
  const router = new Router();
  // The emulator's pages link back here after a sign-out everywhere (its `return` parameter).
  router.get('/', (ctx) =>
    render(
      ctx,
      'landing',
      { samples, emulatorUrl, landingUrl: `${ctx.protocol}://${ctx.host}/` },
      null,
    ),
  );
  router.get('/favicon.ico', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.body = FAVICON;
  });
  // The page polls this: each sample's inspector, fetched here (the samples are other origins),
  // with what its card says.
  router.get('/summaries', async (ctx) => {
    const entries = await Promise.all(
      samples.map(async (sample) => {
        const summary = await summaryOf(sample.url);
        if ('error' in summary) return [sample.id, summary];
        try {
          return [
            sample.id,
            { ...summary, card: cardOf(summary, feed, emulatorUrl !== undefined, sample.id) },
          ];
        } catch {
          return [sample.id, { error: 'answered something else than its inspector' }];
        }
      }),
    );
    ctx.body = Object.fromEntries(entries);
  });
  // The timeline, as JSON: `?after=<id>` for the events after that one.
  router.get('/timeline', (ctx) => {
    const after = Number.parseInt(String(ctx.query.after ?? '0'), 10) || 0;
    ctx.body = { events: feed.all().filter((event) => event.id > after) };
  });
  // The timeline as it happens: Server-Sent Events, every event kept first, in the order they
  // came (so that the last id a page saw names everything before it). Ids are `<page>-<n>`: a page
  // that reconnects to another landing page (restarted since) is told to start again (`reset`).
  const page = randomUUID().slice(0, 8);
  router.get('/timeline/stream', (ctx) => {
    if (streams.size >= MAX_STREAMS) {
      ctx.status = 503;
      ctx.body = 'Too many pages follow the timeline.';
      return;
    }
    const [lastPage, lastId] = ctx.get('Last-Event-ID').split('-');
    const resume = lastPage === page;
    const after = resume ? Number.parseInt(lastId ?? '0', 10) || 0 : 0;
    ctx.respond = false;
    const response = ctx.res;
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    response.flushHeaders(); // the page knows it is connected, even before the first event
    const send = (event: LandingEvent) => {
      response.write(`id: ${page}-${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    if (ctx.get('Last-Event-ID') && !resume) response.write('event: reset\ndata: {}\n\n');
    const kept = feed.all().filter((event) => event.id > after);
    for (const event of kept.sort((a, b) => a.id - b.id)) send(event);
    streams.add(response);
    const unsubscribe = feed.subscribe(send);
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    ctx.req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(response);
    });
  });
  const app = new Koa();
  // The page's one script and one style carry the response's nonce; the script reads this
  // server's own JSON and event stream, nothing else. It is served at http://localhost:<port>
  // only: no host but the loopback names is answered.
  app.use(
    pageHeaders((_ctx, nonce) => ({
      'default-src': "'none'",
      'script-src': nonce,
      'style-src': nonce,
      'connect-src': "'self'",
      'img-src': "'self'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
    })),
  );
  app.use(allowedHosts([]));
  app.use(router.routes());
  return {
    app,
    close() {
      feed.close();
      for (const response of streams) response.end();
    },
  };
}

async function summaryOf(url: string): Promise<Inspection | { error: string }> {
  try {
    const response = await fetch(`${url}/cache`, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(2_000),
    });
    if (response.status === 404) return { error: 'inspector off' };
    if (!response.ok) return { error: `answered ${response.status}` };
    return (await response.json()) as Inspection;
  } catch {
    return { error: 'not reachable' };
  }
}
