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

/**
 * A short text as a page of its own, with a title, a language and a heading: for a frame of the
 * identity platform's sign-out page, where a bare text would be a document without a title or a
 * language. No style, so no nonce: the same text is the same page, byte for byte, whoever asks.
 */
export function framedTextPage(sample: string, title: string, text: string): string {
  const [name, page, body] = [sample, title, text].map((each) => ejs.escapeXML(each));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${page} — ${name}</title></head>`,
    `<body><main><h1>${page}</h1><p>${body}</p></main></body>`,
    '</html>',
    '',
  ].join('\n');
}

/**
 * Sets the response to an HTML page rendered by {@link renderView}. In the layout, `locals.title`
 * names the page (its `<title>` is "title — sample"), and `framed: true` leaves the header out.
 */
export async function render(
  ctx: Koa.Context,
  view: string,
  locals: Record<string, unknown> = {},
  layout: string | null = 'layout',
): Promise<void> {
  ctx.type = 'html';
  ctx.body = await renderView(view, { ...ctx.state, ...locals }, layout);
}
