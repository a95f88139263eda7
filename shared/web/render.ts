import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type Koa from 'koa';

/** The project's top-level `views/` folder: the samples' pages and the landing page. */
export const viewsDirectory = fileURLToPath(new URL('../../views/', import.meta.url));

/** A padlock, served as `/favicon.ico` by the samples and the landing page (browsers ask for it). */
export const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#243a5e"/>' +
  '<path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" stroke="#fff" stroke-width="1.5" fill="none"/>' +
  '<rect x="4" y="7" width="8" height="6" rx="1" fill="#fff"/></svg>';

/**
 * Templates are read and compiled once, then cached (ejs's `cache`): a page is rendered, not
 * compiled, on each request. With NODE_ENV=development they are read again on every request, so
 * that an edited view shows without a restart.
 */
const options = { cache: process.env.NODE_ENV !== 'development' };

/**
 * Renders `views/<view>.ejs` inside a layout (`views/<layout>.ejs`, which prints `body`).
 * ejs escapes `<%= %>` output, so values from users or the identity provider are safe to show.
 */
export async function renderView(
  view: string,
  locals: Record<string, unknown>,
  layout: string | null = 'layout',
): Promise<string> {
  const body = await ejs.renderFile(path.join(viewsDirectory, `${view}.ejs`), locals, options);
  if (layout === null) return body;
  return ejs.renderFile(path.join(viewsDirectory, `${layout}.ejs`), { ...locals, body }, options);
}

/** Sets the response to an HTML page rendered by {@link renderView}. */
export async function render(
  ctx: Koa.Context,
  view: string,
  locals: Record<string, unknown> = {},
  layout: string | null = 'layout',
): Promise<void> {
  ctx.type = 'html';
  ctx.body = await renderView(view, { ...ctx.state, ...locals }, layout);
}
