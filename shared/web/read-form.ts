import type Koa from 'koa';

const maxFormBytes = 64 * 1024;

/** Reads an `application/x-www-form-urlencoded` body (a form_post response, a front-channel POST). */
export async function readForm(ctx: Koa.Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) return {};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxFormBytes) return ctx.throw(413, 'Form too large');
    chunks.push(chunk);
  }
  // Decoded once, whole: a character split across two chunks stays intact.
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/** The query string as a plain record (the first value of a repeated parameter). */
export function queryParams(ctx: Koa.Context): Record<string, string> {
  return Object.fromEntries(ctx.URL.searchParams);
}
