/**
 * What every response of a sample and of the landing page says about itself, set before anything
 * else runs (error pages included):
 *
 * - `Cache-Control: no-store`, on every response: a page shows who is signed in (the header of
 *   every sample page) and often their data (mail, users, the token cache). Stored, it would come
 *   back with the browser's Back button after a sign-out. Deciding page by page which response
 *   depends on the session is a rule someone gets wrong; none is worth keeping.
 * - a `Content-Security-Policy` that says what may run on the page, what it may load, where its
 *   forms may go and who may frame it. Inline `<style>` and `<script>` run only with this
 *   response's nonce (`ctx.state.nonce`, which the views print), never `'unsafe-inline'`.
 * - `X-Frame-Options: DENY` beside `frame-ancestors 'none'`, for browsers that know only the former.
 *
 * An error that no handler answered (the landing page has none; one thrown by the samples' error
 * pages themselves) reaches Koa's own handler, which removes every header but the error's
 * `headers`: there go `no-store` and a policy that allows nothing, for its plain-text answer.
 */
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';

/** CSP directives by name, e.g. `{ 'default-src': "'none'" }`. */
export type Directives = Record<string, string>;

export function pageHeaders(
  /** The policy of this response; `nonce` is the source expression, `'nonce-…'`. */
  policy: (ctx: Koa.Context, nonce: string) => Directives,
): Koa.Middleware {
  return async (ctx, next) => {
    const nonce = randomBytes(16).toString('base64');
    ctx.state.nonce = nonce;
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cache-Control', 'no-store');
    const directives = policy(ctx, `'nonce-${nonce}'`);
    ctx.set('Content-Security-Policy', serialize(directives));
    if (directives['frame-ancestors'] === "'none'") ctx.set('X-Frame-Options', 'DENY');
    try {
      await next();
    } catch (error) {
      const escaped =
        error instanceof Error ? error : new Error(`non-error thrown: ${typeof error}`);
      const { headers } = escaped as { headers?: Record<string, string> };
      throw Object.assign(escaped, { headers: { ...headers, ...ON_ESCAPED_ERRORS } });
    }
  };
}

const ON_ESCAPED_ERRORS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
};

function serialize(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}
