import type Koa from 'koa';
import getRawBody from 'raw-body';

/**
 * Reads an `application/x-www-form-urlencoded` body (a form_post response, a front-channel POST),
 * the first value of each field. A body over 64 KB is refused with 413, one cut short or broken
 * off with 400, so that the error page says what was wrong.
 */
export async function readForm(ctx: Koa.Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) return {};
  const length = ctx.get('content-length') || null;
  let body: string;
  try {
    body = await getRawBody(ctx.req, { limit: '64kb', length, encoding: 'utf-8' });
  } catch (error) {
    // raw-body's own errors carry their status; the connection's (a parse error) do not.
    if ((error as { status?: number }).status) throw error;
    return ctx.throw(400, 'The request body could not be read');
  }
  return firstValues(new URLSearchParams(body));
}

/** The query string as a plain record (the first value of a repeated parameter). */
export function queryParams(ctx: Koa.Context): Record<string, string> {
  return firstValues(new URLSearchParams(ctx.querystring));
}

function firstValues(parameters: URLSearchParams): Record<string, string> {
  // No prototype: a field named `__proto__` or `constructor` is just a field.
  const values: Record<string, string> = Object.create(null);
  for (const [name, value] of parameters) if (!Object.hasOwn(values, name)) values[name] = value;
  return values;
}
