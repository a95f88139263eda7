/** Small request and response helpers of the identity endpoints. */
import type Koa from 'koa';
import { render } from '../web/render.ts';

const MAX_FORM_BYTES = 64 * 1024;

/** The body of an `application/x-www-form-urlencoded` POST (Koa parses no bodies itself). */
export async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) ctx.throw(413);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The parameters of a request that may come as a GET (query) or a POST (form). */
export async function readParameters(ctx: Koa.Context): Promise<URLSearchParams> {
  return ctx.method === 'POST' ? readForm(ctx) : new URLSearchParams(ctx.querystring);
}

/** Renders one of the emulator's own pages (`views/emulator/<view>.ejs`) in its layout. */
export function renderPage(
  ctx: Koa.Context,
  view: string,
  title: string,
  locals: Record<string, unknown> = {},
): Promise<void> {
  return render(ctx, `emulator/${view}`, { title, ...locals }, 'emulator/layout');
}
