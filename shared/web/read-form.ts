import type Koa from 'koa';

const maxFormBytes = 64 * 1024;

/** Reads an `application/x-www-form-urlencoded` body (a form_post response, a front-channel POST). */
export async function readForm(ctx: Koa.Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) return {};
  let body = '';
  for await (const chunk of ctx.req) {
    body += chunk;
    if (body.length > maxFormBytes) return ctx.throw(413, 'Form too large');
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/** The query string as a plain record (the first value of a repeated parameter). */
export function queryParams(ctx: Koa.Context): Record<string, string> {
  return Object.fromEntries(ctx.URL.searchParams);
}
