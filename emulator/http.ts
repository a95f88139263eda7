/** Small request and response helpers of the identity endpoints. */
import { randomBytes } from 'node:crypto';
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
 * What one page may run, load, post to and be framed by, beyond what every page may: its own
 * styles, its icon, forms posted to the emulator itself; no script, no frame, framed by nobody.
 */
export interface PagePolicy {
  /** The page runs its inline script (form_post's auto-submit, the sign-out page's frames). */
  script?: boolean;
  /** Where its forms may post, or a form post may be redirected, besides the emulator itself. */
  formAction?: readonly string[];
  /** The URLs of its iframes (the apps' front-channel logout URLs). */
  frames?: readonly string[];
  /** Framed by the emulator's own pages: the end-session endpoint's answer inside a frame. */
  framedBySelf?: boolean;
}

/**
 * Renders one of the emulator's pages, `views/<view>.ejs`, with its Content-Security-Policy:
 * inline `<style>` and `<script>` run only with this response's nonce, which the views print.
 * Pages include `_header.ejs` and `_footer.ejs` themselves; `form-post` is bare, like Entra's own
 * auto-submitting page. ejs escapes `<%= %>` output, so values from requests are safe to show.
 */
export async function renderPage(
  ctx: Koa.Context,
  view: string,
  title: string,
  locals: Record<string, unknown> = {},
  policy: PagePolicy = {},
): Promise<void> {
  const nonce = randomBytes(16).toString('base64');
  ctx.set('Content-Security-Policy', contentSecurityPolicy(policy, `'nonce-${nonce}'`));
  ctx.set('X-Frame-Options', policy.framedBySelf ? 'SAMEORIGIN' : 'DENY');
  ctx.type = 'html';
  ctx.body = await ejs.renderFile(
    `${viewsDirectory}${view}.ejs`,
    { title, wide: false, nonce, ...locals },
    // Compiled once (its `_header`/`_footer` includes too), unless NODE_ENV=development.
    { cache: process.env.NODE_ENV !== 'development' },
  );
}

/** What every answer that is not a page says: it loads nothing, and no page may frame it. */
const NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

const EVERY_ANSWER = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': NOT_A_PAGE,
  'X-Frame-Options': 'DENY',
};

/**
 * The first middleware of both servers: every answer is never stored and framed by nobody (a page
 * says more: {@link renderPage}). An error no handler answered keeps them too: Koa's own error
 * handler removes every header but the error's `headers`.
 */
export async function everyAnswer(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  ctx.set(EVERY_ANSWER);
  try {
    await next();
  } catch (error) {
    const escaped = error instanceof Error ? error : new Error(`non-error thrown: ${typeof error}`);
    const { headers } = escaped as { headers?: Record<string, string> };
    throw Object.assign(escaped, { headers: { ...headers, ...EVERY_ANSWER } });
  }
}

function contentSecurityPolicy(policy: PagePolicy, nonce: string): string {
  // A frame's redirects are checked too: python's front-channel URL redirects its frame to the
  // end-session endpoint, on this origin.
  const frames = policy.frames?.length ? ["'self'", ...policy.frames.map(sourceOf)] : [];
  const directives = [
    "default-src 'none'",
    ...(policy.script ? [`script-src ${nonce}`] : []),
    `style-src ${nonce}`,
    "img-src 'self'",
    `form-action ${["'self'", ...(policy.formAction ?? []).map(sourceOf)].join(' ')}`,
    ...(frames.length ? [`frame-src ${[...new Set(frames)].join(' ')}`] : []),
    `frame-ancestors ${policy.framedBySelf ? "'self'" : "'none'"}`,
    "base-uri 'none'",
  ];
  return directives.join('; ');
}

/** A URL as a CSP source: its origin (`http://localhost:3001`), or its scheme (`myapp:`). */
function sourceOf(url: string): string {
  const parsed = new URL(url);
  return parsed.origin === 'null' ? parsed.protocol : parsed.origin;
}
