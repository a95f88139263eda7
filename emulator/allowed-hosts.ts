/**
 * The emulator's two servers answer only requests that name them: the host of their URLs
 * (`EMULATOR_HOST`, 127.0.0.1 by default, or whatever host its public URLs name) or a loopback
 * name (`localhost`, `127.0.0.1`, `[::1]`), with or without a port. Any other `Host` gets
 * `421 Misdirected Request`.
 *
 * Why: DNS rebinding. The servers listen on 127.0.0.1; a site that points its own name at that
 * address once a browser has loaded its page becomes, to the browser, the same origin as the
 * emulator, and could read `GET /events` (who signed in, to which app, when) or the SSO page. Its
 * requests still carry its own name in `Host`, which a page cannot choose. The emulator trusts no
 * proxy: `X-Forwarded-Host` counts for nothing. (The samples do the same in their own code: the
 * emulator is a tool of its own and imports none of theirs.)
 */
import type Koa from 'koa';

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
/** A host name or an IPv4 or bracketed IPv6 literal, and an optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

export function answerOnlyAt(urls: readonly string[]): Koa.Middleware {
  const names = new Set([...LOOPBACK, ...urls.map((url) => new URL(url).hostname)]);
  return async (ctx, next) => {
    const name = HOST_HEADER.exec(ctx.get('Host'))?.[1]?.toLowerCase();
    if (name !== undefined && names.has(name)) return next();
    ctx.status = 421;
    ctx.type = 'text/plain';
    ctx.body = `Misdirected Request: the emulator answers only as ${[...names].join(', ')}.`;
  };
}
