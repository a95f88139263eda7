/** What the Graph-like API's routes share: who calls, Graph's error shape, JSON bodies. */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import getRawBody from 'raw-body';
import type { DemoUser } from './types.ts';

/** Who calls, once `authenticate` (`graph-app.ts`) has validated the access token. */
export interface Caller {
  user: DemoUser;
  scopes: string[];
  /** The app the token was issued to (`appid`). */
  clientId: string;
}
/**
 * `caller` once a user's token is validated; `appOnly`, the client id, for an app-only token (the
 * client credentials grant), which no call here takes: it has no user.
 */
export type GraphState = { caller?: Caller; appOnly?: string };
export type GraphContext = Koa.ParameterizedContext<GraphState>;

export function caller(ctx: GraphContext): Caller {
  if (!ctx.state.caller) throw new Error('authenticate() must run first');
  return ctx.state.caller;
}

export function graphError(ctx: GraphContext, status: number, code: string, message: string): void {
  const requestId = randomUUID();
  ctx.status = status;
  ctx.set('request-id', requestId);
  ctx.body = {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        'request-id': requestId,
        'client-request-id': ctx.get('client-request-id') || requestId,
      },
    },
  };
}

/**
 * A request's JSON body: an object (at most 64 KB), `undefined` when there is no body at all, or
 * a Graph error already answered (`false`) for a body of another type, too large, or not an object.
 */
export async function readJsonObject(
  ctx: GraphContext,
): Promise<Record<string, unknown> | undefined | false> {
  const length = ctx.get('content-length');
  if (!ctx.request.get('transfer-encoding') && (length === '' || length === '0')) return undefined;
  if (!ctx.is('application/json')) {
    graphError(ctx, 415, 'Request_BadRequest', 'The request body must be JSON (application/json).');
    return false;
  }
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit: '64kb', length: length || null, encoding: 'utf-8' });
  } catch (error) {
    const tooLarge = (error as { status?: number }).status === 413;
    graphError(
      ctx,
      tooLarge ? 413 : 400,
      'Request_BadRequest',
      tooLarge ? 'The request body is larger than 64 KB.' : 'The request body could not be read.',
    );
    return false;
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    graphError(ctx, 400, 'BadRequest', 'Unable to read JSON request payload.');
    return false;
  }
  if (parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    graphError(ctx, 400, 'BadRequest', 'The request body must be a JSON object.');
    return false;
  }
  return parsed as Record<string, unknown>;
}
