/**
 * A server answers only requests that name one of its own hosts: the host of its configured base
 * URL, or a loopback name (`localhost`, `127.0.0.1`, `[::1]`), with or without a port. Any other
 * `Host` gets `421 Misdirected Request`, before anything else runs.
 *
 * Why: DNS rebinding. An app that listens on 127.0.0.1 (the samples, the landing page) cannot stop a
 * site from pointing its own name at that address once a browser has loaded its page. The page
 * and the server are then one origin to the browser: the page could read `/cache` (who is signed
 * in, their account ids) and the landing page's `/timeline` and `/summaries`. But its requests
 * say `Host: <its own name>`. A loopback name is always safe: only a page served from it can name
 * it, and such a page is this server's own.
 *
 * Behind a proxy the configuration trusts (an `https` base URL, `app.proxy`), the hosts the proxy
 * forwards (`X-Forwarded-Host`) must be among them too: every entry of the list, since a proxy that
 * appends its own (Apache's mod_proxy, Envoy's `append_x_forwarded_host`) keeps the client's
 * first, which Koa reads as the request's host. `Host` is checked either way: a page can add any
 * header to its own requests, but never choose their `Host`.
 */
import type Koa from 'koa';

export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

export function allowedHosts(baseUrls: readonly string[]): Koa.Middleware {
  const allowed = new Set<string>([
    ...LOOPBACK_HOSTS,
    ...baseUrls.map((url) => new URL(url).hostname),
  ]);
  const refusal = `Misdirected Request: this server answers only as ${[...allowed].join(', ')}.`;
  return async (ctx, next) => {
    const named = [ctx.get('Host')];
    const forwarded = ctx.app.proxy ? ctx.get('X-Forwarded-Host') : '';
    if (forwarded) named.push(...forwarded.split(',').map((host) => host.trim()));
    if (named.every((host) => allowed.has(hostnameOf(host)))) return next();
    ctx.status = 421;
    ctx.type = 'text/plain';
    ctx.body = refusal;
  };
}

/** The host name in a `Host` header (`localhost:3001`, `[::1]:3001`, `localhost`), lower case. */
function hostnameOf(host: string): string {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.exec(host);
  return match?.[1]?.toLowerCase() ?? '';
}
