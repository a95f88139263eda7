/**
 * A Graph-like API: the three Microsoft Graph calls the samples make, with Graph's shapes and
 * errors; and the application calls of `graph-applications.ts`.
 */
import Router from '@koa/router';
import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { fromThisMachine, namedUser } from './admin.ts';
import { answerOnlyAt } from './allowed-hosts.ts';
import {
  CAE_CHALLENGE_MESSAGE,
  type CriticalEvent,
  challengeHeader,
  disableAccount,
  EVENT_CLAUSES,
  enableAccount,
  eventAgainst,
  eventSeconds,
  revokeSessions,
} from './critical-events.ts';
import { GRAPH_APP_ID, mailboxOf } from './directory.ts';
import { sessionLabel } from './events.ts';
import { graphApplications } from './graph-applications.ts';
import {
  type Caller,
  caller,
  type GraphContext,
  type GraphState,
  graphError,
} from './graph-http.ts';
import { everyAnswer } from './http.ts';
import { clientName, type EmulatorState, record } from './state.ts';
import type { DemoUser } from './types.ts';

export function createGraphApp(state: EmulatorState): Koa<GraphState> {
  const metadata = `${state.graphUrl}/v1.0/$metadata`;
  // Graph's paths are case-insensitive (`/V1.0/ME` is `/v1.0/me`), and so are these routes.
  const router = new Router<GraphState>({ prefix: '/v1.0' });
  router.get('/me', requireScope('User.Read', 'User.ReadBasic.All'), (ctx) => {
    ctx.body = { '@odata.context': `${metadata}#users/$entity`, ...graphUser(caller(ctx).user) };
  });
  router.get('/users', requireScope('User.ReadBasic.All'), (ctx) => {
    // Graph's first page holds 100 users; the emulator serves no further pages.
    const value = state.directory.users.slice(0, 100).map(graphUser);
    ctx.body = { '@odata.context': `${metadata}#users`, value };
  });
  router.get('/me/messages', requireScope('Mail.Read'), (ctx) => {
    const { oid } = caller(ctx).user;
    ctx.body = { '@odata.context': `${metadata}#users('${oid}')/messages`, value: mailboxOf(oid) };
  });

  const app = new Koa<GraphState>();
  // A client that went away mid-request is not worth a stack trace in the log.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (!/^(ECONNRESET|EPIPE|HPE_)/.test(error.code ?? ''))
      console.error('[emulator Graph]', error);
  });
  // Never stored: `/me/messages` is the user's mail. Its 421 and its escaped errors too.
  app.use(everyAnswer);
  app.use(answerOnlyAt([state.identityUrl, state.graphUrl]));
  app.use(async (ctx, next) => {
    await next();
    const { caller, appOnly } = ctx.state;
    record(state.graphRequests, { path: ctx.path, status: ctx.status, oid: caller?.user.oid });
    const clientId = caller?.clientId ?? appOnly;
    const app = clientId === undefined ? undefined : clientName(state, clientId);
    const to = caller
      ? ` to ${app}, for ${caller.user.userPrincipalName}`
      : appOnly !== undefined
        ? ` to ${app}, app-only (no user)`
        : '';
    state.events.record({
      kind: 'api-call',
      text: `Graph-like API: ${ctx.method} ${ctx.path} answered ${ctx.status}${to}`,
      ...(caller ? { user: caller.user.userPrincipalName } : {}),
      ...(app ? { app } : {}),
    });
  });
  // An administrator's two calls, before authentication: the Graph-like API has no administrators
  // (see administration()).
  app.use(administration(state).routes());
  // Every other request is authenticated first, whatever its path and however it is spelled.
  app.use(authenticate(state));
  // Graph's application API (`applications(uniqueName='…')`…): OData keys, matched by its own regex.
  app.use(graphApplications(state));
  app.use(router.routes());
  app.use((ctx) => {
    const segment = ctx.path.split('/').at(-1);
    const message = `Resource not found for the segment '${segment}'.`;
    graphError(ctx, 404, 'Request_ResourceNotFound', message);
  });
  return app;
}

/** Validates the bearer token against the identity platform's published keys, as Graph does. */
function authenticate(state: EmulatorState): Koa.Middleware<GraphState> {
  const tenantUrl = `${state.identityUrl}/${state.tenantId}`;
  // The keys the identity platform publishes at its JWKS endpoint, read in this process.
  const keys = createLocalJWKSet(state.signingKey.jwks);
  const challenge = `Bearer realm="", authorization_uri="${tenantUrl}/oauth2/v2.0/authorize", client_id="${GRAPH_APP_ID}"`;
  return async (ctx, next) => {
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    ctx.set('WWW-Authenticate', token ? `${challenge}, error="invalid_token"` : challenge);
    if (!token) return graphError(ctx, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: state.issuer,
        audience: GRAPH_APP_ID,
        algorithms: ['RS256'],
      });
      if (payload.idtyp === 'app') {
        // An app-only token (client credentials): a valid token, that no call here takes.
        ctx.remove('WWW-Authenticate');
        ctx.state.appOnly = String(payload.appid ?? '');
        return refuseAppOnly(ctx);
      }
      const user = state.directory.byOid(payload.oid);
      if (!user) throw new Error('unknown oid');
      const scopes = String(payload.scp ?? '').split(' ');
      ctx.state.caller = { user, scopes, clientId: String(payload.appid ?? '') };
      if (isCaeToken(payload.xms_cc)) {
        const event = eventAgainst(state, user, Number(payload.iat ?? 0), Date.now());
        if (event) {
          // The claims challenge: the client must get a token issued after the event.
          ctx.set('WWW-Authenticate', challengeHeader(state, event));
          const sid = state.caeTokenSessions.get(String(payload.uti ?? ''));
          recordChallenge(state, ctx.state.caller, event, sid);
          return graphError(ctx, 401, 'InvalidAuthenticationToken', CAE_CHALLENGE_MESSAGE);
        }
      }
    } catch (error) {
      const expired = error instanceof errors.JWTExpired;
      const message = expired
        ? 'Lifetime validation failed, the token is expired.'
        : 'Access token validation failure.';
      return graphError(ctx, 401, 'InvalidAuthenticationToken', message);
    }
    ctx.remove('WWW-Authenticate');
    await next();
  };
}

/**
 * Graph's answers to an app-only token without application permissions (the emulator grants
 * none): `/me` has no user (`400`, Graph's words), every other call wants a permission the token
 * has not (`403`).
 */
function refuseAppOnly(ctx: GraphContext): void {
  if (/^\/v1\.0\/me(\/|$)/i.test(ctx.path)) {
    const message = '/me request is only valid with delegated authentication flow.';
    graphError(ctx, 400, 'BadRequest', message);
    return;
  }
  graphError(
    ctx,
    403,
    'Authorization_RequestDenied',
    'Insufficient privileges to complete the operation.',
  );
}

/** A CAE token: `xms_cc` holds `cp1` (the emulator writes it so; any case is read). */
function isCaeToken(xmsCc: unknown): boolean {
  const values = Array.isArray(xmsCc) ? xmsCc : [xmsCc];
  return values.some((value) => typeof value === 'string' && value.toLowerCase() === 'cp1');
}

/** For the timeline: a CAE token refused, the event it is older than, what the app must do. */
function recordChallenge(
  state: EmulatorState,
  caller: Caller,
  event: CriticalEvent,
  sid: string | undefined,
): void {
  const app = clientName(state, caller.clientId);
  const user = caller.user.userPrincipalName;
  state.events.record({
    kind: 'cae-challenge',
    text: `Graph-like API: ${app}'s CAE access token for ${user} was issued before ${EVENT_CLAUSES[event.kind]} (${new Date(event.at).toISOString().slice(11, 19)} UTC): refused (401, insufficient_claims); the app must get a token issued after it (claims nbf ${eventSeconds(event)})`,
    user,
    app,
    ...(sid ? { sessions: [sessionLabel(sid)] } : {}),
  });
}

/**
 * Graph's two calls for an administrator that the emulator has: `PATCH /v1.0/users/{id}` with
 * `{"accountEnabled": false|true}`, and `POST /v1.0/users/{id}/revokeSignInSessions`. Graph wants an
 * administrator's token with `User.ReadWrite.All` / `User.RevokeSessions.All`; the Graph-like API
 * has no administrators and grants apps no such permission, so these take no token, as the
 * identity platform's "Revoke sessions" does: the emulator answers this machine only, and no
 * other origin's page (`Origin`) may call them.
 */
function administration(state: EmulatorState): Router<GraphState> {
  const router = new Router<GraphState>({ prefix: '/v1.0' });
  router.post('/users/:user/revokeSignInSessions', (ctx) => {
    if (!fromThisMachine(ctx, state, 'revoke sessions')) return;
    const user = namedUser(ctx, state);
    if (!user) return;
    revokeSessions(state, user);
    ctx.body = { '@odata.context': `${state.graphUrl}/v1.0/$metadata#Edm.Boolean`, value: true };
  });
  router.patch('/users/:user', async (ctx) => {
    if (!fromThisMachine(ctx, state, 'update users')) return;
    const user = namedUser(ctx, state);
    if (!user) return;
    const body = await readJson(ctx);
    const keys = body ? Object.keys(body) : [];
    if (!body || keys.length !== 1 || typeof body.accountEnabled !== 'boolean') {
      const message =
        'The Graph-like API updates one property of a user: {"accountEnabled": true|false}.';
      return graphError(ctx, 400, 'Request_BadRequest', message);
    }
    if (body.accountEnabled) enableAccount(state, user);
    else disableAccount(state, user);
    ctx.status = 204;
  });
  return router;
}

/** A JSON object body of at most 64 KB; `undefined` if it is anything else. */
async function readJson(ctx: GraphContext): Promise<Record<string, unknown> | undefined> {
  if (!ctx.is('application/json')) return undefined;
  const length = ctx.get('content-length') || null;
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit: '64kb', length, encoding: 'utf-8' });
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Any one of the permissions will do (Graph accepts a more privileged one too). */
function requireScope(...accepted: string[]): Koa.Middleware<GraphState> {
  return async (ctx, next) => {
    if (accepted.some((scope) => caller(ctx).scopes.includes(scope))) return next();
    const message = 'Insufficient privileges to complete the operation.';
    graphError(ctx, 403, 'Authorization_RequestDenied', message);
  };
}

/** A user with the properties Graph returns by default. */
function graphUser(user: DemoUser) {
  return {
    businessPhones: [],
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: 'en-US',
    surname: user.surname,
    userPrincipalName: user.userPrincipalName,
    id: user.oid,
  };
}
