/** Small request and response helpers of the identity endpoints. */
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type Koa from 'koa';
import getRawBody from 'raw-body';

const viewsDirectory = fileURLToPath(new URL('./views/', import.meta.url));

/**
 * The body of an `application/x-www-form-urlencoded` POST (Koa parses no bodies itself). A body over
 * 64 KB is refused with 413, one cut short or broken off with 400.
 */
export async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  const length = ctx.get('content-length') || null;
  try {
    return new URLSearchParams(
      await getRawBody(ctx.req, { limit: '64kb', length, encoding: 'utf-8' }),
    );
  } catch (error) {
    // raw-body's own errors carry their status; the connection's (a parse error) do not.
    if ((error as { status?: number }).status) throw error;
    return ctx.throw(400, 'The request body could not be read');
  }
}

/** The parameters of a request that may come as a GET (query) or a POST (form). */
export async function readParameters(ctx: Koa.Context): Promise<URLSearchParams> {
  return ctx.method === 'POST' ? readForm(ctx) : new URLSearchParams(ctx.querystring);
}

/**
 * Renders one of the emulator's pages, `views/<view>.ejs`. Pages include `_header.ejs` and
 * `_footer.ejs` themselves; `form-post` is bare, like Entra's own auto-submitting page.
 * ejs escapes `<%= %>` output, so values from requests are safe to show.
 */
export async function renderPage(
  ctx: Koa.Context,
  view: string,
  title: string,
  locals: Record<string, unknown> = {},
): Promise<void> {
  ctx.type = 'html';
  ctx.body = await ejs.renderFile(
    `${viewsDirectory}${view}.ejs`,
    { title, wide: false, ...locals },
    // Compiled once (its `_header`/`_footer` includes too), unless NODE_ENV=development.
    { cache: process.env.NODE_ENV !== 'development' },
  );
}
