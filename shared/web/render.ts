import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type Koa from 'koa';

/** The project's top-level `views/` folder. */
export const viewsDirectory = fileURLToPath(new URL('../../views/', import.meta.url));

/**
 * Renders `views/<view>.ejs` inside a layout (`views/<layout>.ejs`, which prints `body`).
 * ejs escapes `<%= %>` output, so values from users or the identity provider are safe to show.
 */
export async function renderView(
  view: string,
  locals: Record<string, unknown>,
  layout: string | null = 'layout',
): Promise<string> {
  const body = await ejs.renderFile(path.join(viewsDirectory, `${view}.ejs`), locals);
  if (layout === null) return body;
  return ejs.renderFile(path.join(viewsDirectory, `${layout}.ejs`), { ...locals, body });
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
