import type Koa from 'koa';
import { ServiceUnavailableError } from '../core/errors.ts';
import { GraphError } from '../core/graph-client.ts';
import { safeReturnPath } from '../core/msal/return-path.ts';
import { SignInError } from '../core/msal/sign-in.ts';
import { render } from '../web/render.ts';

interface ErrorPage {
  status: number;
  title: string;
  message: string;
  detail?: string;
}

/**
 * Errors become a page (or JSON) that says what happened, in the same layout as every page: the
 * header still shows who is signed in. Errors a user or a dependency can cause are decided here,
 * in `describe`; anything else is a 500 whose details go to the log only.
 */
export async function errorPages(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404);
  } catch (error) {
    const page = describe(error);
    const where = `[${ctx.state.sample}] ${ctx.method} ${ctx.path}`;
    // What a dependency did is one line in the log; only our own failures deserve a stack trace.
    if (error instanceof ServiceUnavailableError) console.warn(`${where}: ${error.message}`);
    else if (error instanceof GraphError)
      console.warn(`${where}: the API answered ${error.status} ${error.code}`);
    else if (page.status >= 500) console.error(where, error);
    ctx.status = page.status;
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = {
        error: page.title,
        message: page.message,
        ...(page.detail ? { detail: page.detail } : {}),
      };
    } else {
      // A GET can simply be tried again once the cause is gone; a POST (a sign-in response) cannot.
      const retry =
        ctx.method === 'GET' && page.status >= 500 ? safeReturnPath(ctx.originalUrl) : undefined;
      // In a frame (the identity platform's sign-out page shows the front-channel one), the
      // error alone, without the header of every page: still a document, titled.
      const framed = ctx.get('Sec-Fetch-Dest') === 'iframe';
      await render(ctx, 'error', { ...page, retry, framed });
    }
  }
}

function describe(error: unknown): ErrorPage {
  if (error instanceof SignInError) {
    return {
      status: 400,
      title: 'Sign-in failed',
      message: error.message,
      ...(error.detail ? { detail: error.detail } : {}),
    };
  }
  if (error instanceof ServiceUnavailableError) {
    const service = error.service.charAt(0).toUpperCase() + error.service.slice(1);
    return {
      status: 503,
      title: `${service} is not available`,
      message: `This page needs ${error.service}${error.internal ? '' : ` at ${error.origin}`}, which ${error.reason}. Nothing was lost: try again in a moment.`,
    };
  }
  if (error instanceof GraphError) {
    return {
      status: 502,
      title: 'The API call failed',
      message: `The API refused the call: ${error.status} ${error.code}.`,
      detail: error.message,
    };
  }
  const httpError = error as { status?: number; expose?: boolean; message?: string };
  if (typeof httpError.status === 'number' && httpError.status < 500 && httpError.expose) {
    return {
      status: httpError.status,
      title: httpError.message ?? 'Error',
      message: httpError.message ?? '',
    };
  }
  return { status: 500, title: 'Something went wrong', message: 'The server failed; see its log.' };
}
