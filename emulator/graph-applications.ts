/**
 * Microsoft Graph's application API on the Graph-like API, the subset a registration script
 * needs: applications by object id or by the alternate keys `appId` and `uniqueName` (upsert with
 * `Prefer: create-if-missing`), `addPassword` and `removePassword`, service principals by object id
 * or `appId`; a deleted application in the tenant's deleted items (`directory/deletedItems/{id}`),
 * read or deleted for good. OData's key syntax (`applications(uniqueName='…')`) is matched here with a regex:
 * the router's paths cannot hold `(`.
 *
 * Who may: a token with `Application.ReadWrite.All` of a user holding one of the roles that may
 * register applications in a tenant where users may not (Entra's "Users can register
 * applications" set to No); an Application Developer changes only the applications it owns.
 */

import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import {
  type Application,
  type ApplicationKey,
  addPassword,
  applicationJson,
  deletedApplicationJson,
  InvalidRequest,
  MAX_APPLICATIONS,
  parsePatch,
  passwordCredentialJson,
  removePassword,
  type ServicePrincipal,
  servicePrincipalJson,
} from './applications.ts';
import { GLOBAL_ADMINISTRATOR } from './directory.ts';
import {
  type Caller,
  caller,
  type GraphContext,
  type GraphState,
  graphError,
  readJsonObject,
} from './graph-http.ts';
import { APPLICATION_READ_WRITE_ALL } from './scopes.ts';
import type { EmulatorState } from './state.ts';

/** The roles that may create applications, and change any (all but Application Developer's own). */
export const APPLICATION_ROLES = [
  GLOBAL_ADMINISTRATOR,
  'Application Administrator',
  'Cloud Application Administrator',
  'Application Developer',
] as const;
const APPLICATION_DEVELOPER = 'Application Developer';

/**
 * `/v1.0/applications/{id}`, `/v1.0/applications(appId='…')`, `…(uniqueName='…')`, then
 * `/addPassword` or `/removePassword`; the same for `servicePrincipals`. Case-insensitive, as
 * Graph's paths are. In a key, `''` stands for `'`, as OData says.
 */
const PATH =
  /^\/v1\.0\/(applications|servicePrincipals)(?:\((appId|uniqueName)='((?:[^']|'')*)'\)|\/([^/()]+))(?:\/(addPassword|removePassword))?\/?$/i;

/** `/v1.0/directory/deletedItems/{id}`: the deleted items the emulator has are applications. */
const DELETED_ITEM = /^\/v1\.0\/directory\/deletedItems\/([^/()]+)\/?$/i;

const INSUFFICIENT_PRIVILEGES = 'Insufficient privileges to complete the operation.';

export function graphApplications(state: EmulatorState): Koa.Middleware<GraphState> {
  return async (ctx, next) => {
    // Some clients percent-encode the key's quotes and parentheses; OData reads them the same.
    const path = ctx.path.replace(/%2[789]/gi, (encoded) => decodeURIComponent(encoded));
    const deletedItem = DELETED_ITEM.exec(path);
    if (deletedItem) return deletedItems(state, ctx, deletedItem[1] ?? '');
    const match = PATH.exec(path);
    if (!match) return next();
    const [, collection = '', alternate, quoted, id, action] = match;
    let value: string;
    try {
      value = decodeURIComponent(quoted ?? id ?? '').replaceAll("''", "'");
    } catch {
      return graphError(ctx, 400, 'BadRequest', 'The key in the request URL is malformed.');
    }
    const by = (
      alternate?.toLowerCase() === 'appid' ? 'appId' : alternate ? 'uniqueName' : 'id'
    ) as ApplicationKey['by'];
    if (!mayManageApplications(caller(ctx))) {
      return graphError(ctx, 403, 'Authorization_RequestDenied', INSUFFICIENT_PRIVILEGES);
    }
    const handler =
      collection.toLowerCase() === 'applications'
        ? applications(state, ctx, { by, value }, action?.toLowerCase())
        : servicePrincipals(state, ctx, { by, value }, action);
    try {
      await handler;
    } catch (error) {
      if (!(error instanceof InvalidRequest)) throw error;
      graphError(ctx, 400, 'Request_BadRequest', error.message);
    }
  };
}

function rolesOf(user: Caller['user']): readonly string[] {
  return user.directoryRoles ?? [];
}

/** The permission in the token, and a role that may register applications. */
function mayManageApplications(who: Caller): boolean {
  return (
    who.scopes.includes(APPLICATION_READ_WRITE_ALL) &&
    rolesOf(who.user).some((role) => (APPLICATION_ROLES as readonly string[]).includes(role))
  );
}

/** Any of the administrator roles changes any application; an Application Developer its own. */
function mayChange(ctx: GraphContext, app: Application): boolean {
  const who = caller(ctx);
  const administrator = rolesOf(who.user).some(
    (role) =>
      role !== APPLICATION_DEVELOPER && (APPLICATION_ROLES as readonly string[]).includes(role),
  );
  if (administrator || app.owners.has(who.user.oid)) return true;
  graphError(ctx, 403, 'Authorization_RequestDenied', INSUFFICIENT_PRIVILEGES);
  return false;
}

function notFound(ctx: GraphContext, value: string): void {
  graphError(
    ctx,
    404,
    'Request_ResourceNotFound',
    `Resource '${value}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function methodNotAllowed(ctx: GraphContext): void {
  graphError(ctx, 405, 'Request_BadRequest', `The method ${ctx.method} is not allowed here.`);
}

/** `Prefer: create-if-missing`, among any other preferences. */
function createIfMissing(ctx: GraphContext): boolean {
  return ctx
    .get('Prefer')
    .split(',')
    .some((preference) => preference.trim().toLowerCase() === 'create-if-missing');
}

/** For the timeline: what an administrator did to an application, never a secret. */
function recordChange(state: EmulatorState, ctx: GraphContext, app: Application, what: string) {
  const user = caller(ctx).user.userPrincipalName;
  state.events.record({
    kind: 'application',
    text: `Graph-like API: ${user} ${what} (appId ${app.appId})`,
    user,
    app: app.displayName,
  });
}

async function applications(
  state: EmulatorState,
  ctx: GraphContext,
  key: ApplicationKey,
  action: string | undefined,
): Promise<void> {
  const app = state.applications.find(key);
  const route = `${ctx.method} ${action ?? ''}`;
  if (route === 'GET ') {
    if (!app) return notFound(ctx, key.value);
    ctx.body = applicationJson(app, state.graphUrl);
    return;
  }
  if (route === 'PATCH ') {
    const body = await readJsonObject(ctx);
    if (body === false) return;
    if (app) {
      if (!mayChange(ctx, app)) return;
      const patch = parsePatch(body ?? {});
      Object.assign(app, patch);
      ctx.status = 204;
      const names = Object.keys(patch).join(', ') || 'nothing';
      return recordChange(
        state,
        ctx,
        app,
        `updated the application "${app.displayName}": ${names}`,
      );
    }
    if (key.by !== 'uniqueName' || !createIfMissing(ctx)) return notFound(ctx, key.value);
    return create(state, ctx, key.value, body ?? {});
  }
  if (!app)
    return ['DELETE ', 'POST addpassword', 'POST removepassword'].includes(route)
      ? notFound(ctx, key.value)
      : methodNotAllowed(ctx);
  if (route === 'DELETE ') {
    if (!mayChange(ctx, app)) return;
    const sp = app.servicePrincipal ? ' and its service principal' : '';
    state.applications.delete(app);
    ctx.status = 204;
    return recordChange(
      state,
      ctx,
      app,
      `deleted the application "${app.displayName}"${sp}: it no longer signs in; it waits in deleted items, its uniqueName ${app.uniqueName ?? '(none)'} taken, until deleted from there`,
    );
  }
  if (route === 'POST addpassword') {
    if (!mayChange(ctx, app)) return;
    const body = await readJsonObject(ctx);
    if (body === false) return;
    const credential = addPassword(app, body);
    ctx.body = {
      '@odata.context': `${state.graphUrl}/v1.0/$metadata#microsoft.graph.passwordCredential`,
      ...passwordCredentialJson(credential),
    };
    return recordChange(
      state,
      ctx,
      app,
      `added a client secret to "${app.displayName}" (keyId ${credential.keyId}, valid until ${credential.endDateTime})`,
    );
  }
  if (route === 'POST removepassword') {
    if (!mayChange(ctx, app)) return;
    const body = await readJsonObject(ctx);
    if (body === false) return;
    const removed = removePassword(app, body);
    if (!removed) {
      const message = `No password credential with keyId '${String(body?.keyId)}' was found for the application.`;
      return graphError(ctx, 404, 'Request_ResourceNotFound', message);
    }
    ctx.status = 204;
    return recordChange(
      state,
      ctx,
      app,
      `removed the client secret ${removed.keyId} of "${app.displayName}": it no longer works`,
    );
  }
  methodNotAllowed(ctx);
}

/** The upsert's create: `displayName` required; at most {@link MAX_APPLICATIONS}. */
function create(
  state: EmulatorState,
  ctx: GraphContext,
  uniqueName: string,
  body: Record<string, unknown>,
): void {
  if (uniqueName === '' || uniqueName.length > 256) {
    throw new InvalidRequest(
      "Invalid value specified for property 'uniqueName' of resource 'Application'.",
    );
  }
  const patch = parsePatch(body);
  // Unique in the tenant, deleted applications included (Graph's words, as the issue threads
  // report them: Microsoft does not document this error).
  if (state.applications.uniqueNameTaken(uniqueName)) {
    throw new InvalidRequest(
      'Another object with the same value for property uniqueName already exists.',
    );
  }
  const { displayName } = patch;
  if (displayName === undefined) {
    throw new InvalidRequest(
      "Property 'displayName' is required to create an application of resource 'Application'.",
    );
  }
  if (state.applications.size >= MAX_APPLICATIONS) {
    const message = `The directory object quota limit for the Principal has been exceeded: the emulator holds at most ${MAX_APPLICATIONS} applications, those in deleted items included. Delete some first (from directory/deletedItems too).`;
    graphError(ctx, 400, 'Directory_QuotaExceeded', message);
    return;
  }
  const app = state.applications.create(
    { ...patch, displayName },
    uniqueName,
    caller(ctx).user.oid,
  );
  ctx.status = 201;
  ctx.set('Location', `${state.graphUrl}/v1.0/applications/${app.id}`);
  ctx.body = applicationJson(app, state.graphUrl);
  recordChange(
    state,
    ctx,
    app,
    `registered the application "${app.displayName}" (uniqueName ${uniqueName}): it signs in at once`,
  );
}

/**
 * `GET` and `DELETE` `/v1.0/directory/deletedItems/{id}`: a deleted application, read, or deleted
 * for good (its uniqueName free again). Restoring one (`…/restore`) is not emulated.
 */
async function deletedItems(state: EmulatorState, ctx: GraphContext, id: string): Promise<void> {
  if (!mayManageApplications(caller(ctx))) {
    return graphError(ctx, 403, 'Authorization_RequestDenied', INSUFFICIENT_PRIVILEGES);
  }
  if (ctx.method !== 'GET' && ctx.method !== 'DELETE') return methodNotAllowed(ctx);
  let value: string;
  try {
    value = decodeURIComponent(id);
  } catch {
    return graphError(ctx, 400, 'BadRequest', 'The key in the request URL is malformed.');
  }
  const app = state.applications.deleted(value);
  if (!app) return notFound(ctx, value);
  if (ctx.method === 'GET') {
    ctx.body = deletedApplicationJson(app, state.graphUrl);
    return;
  }
  if (!mayChange(ctx, app)) return;
  state.applications.purge(app);
  ctx.status = 204;
  recordChange(
    state,
    ctx,
    app,
    `deleted the application "${app.displayName}" from deleted items, for good: its uniqueName ${app.uniqueName ?? '(none)'} is free again`,
  );
}

async function servicePrincipals(
  state: EmulatorState,
  ctx: GraphContext,
  key: ApplicationKey,
  action: string | undefined,
): Promise<void> {
  if (key.by === 'uniqueName' || action !== undefined) {
    return notFound(ctx, key.value);
  }
  const app =
    key.by === 'appId'
      ? state.applications.byAppId(key.value)
      : state.applications.bySpId(key.value);
  const sp = app?.servicePrincipal;
  if (ctx.method === 'GET') {
    if (!app || !sp) return notFound(ctx, key.value);
    ctx.body = servicePrincipalJson(app, sp, state.graphUrl);
    return;
  }
  if (ctx.method === 'DELETE') {
    if (!app || !sp) return notFound(ctx, key.value);
    if (!mayChange(ctx, app)) return;
    app.servicePrincipal = undefined;
    ctx.status = 204;
    return recordChange(state, ctx, app, `deleted the service principal of "${app.displayName}"`);
  }
  if (ctx.method !== 'PATCH') return methodNotAllowed(ctx);
  const body = await readJsonObject(ctx);
  if (body === false) return;
  const changes = parseServicePrincipalPatch(body ?? {}, key);
  if (app && sp) {
    if (!mayChange(ctx, app)) return;
    Object.assign(sp, changes);
    ctx.status = 204;
    return recordChange(state, ctx, app, `updated the service principal of "${app.displayName}"`);
  }
  if (key.by !== 'appId' || !createIfMissing(ctx)) return notFound(ctx, key.value);
  if (!app) {
    // Graph's answer when the appId names no application of the tenant.
    const message = `The appId '${key.value}' of the service principal does not reference a valid application object.`;
    return graphError(ctx, 400, 'Request_BadRequest', message);
  }
  if (!mayChange(ctx, app)) return;
  const created: ServicePrincipal = {
    id: randomUUID(),
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    tags: [],
    ...changes,
  };
  app.servicePrincipal = created;
  ctx.status = 201;
  ctx.body = servicePrincipalJson(app, created, state.graphUrl);
  recordChange(state, ctx, app, `created the service principal of "${app.displayName}"`);
}

/**
 * What a service principal's PATCH may set here: `displayName`, `accountEnabled`,
 * `appRoleAssignmentRequired`, `tags`; `appId` only as the key names it.
 */
function parseServicePrincipalPatch(
  body: Record<string, unknown>,
  key: ApplicationKey,
): Partial<ServicePrincipal> {
  const changes: Partial<ServicePrincipal> = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith('@odata.')) continue;
    const invalid = new InvalidRequest(
      `Invalid value specified for property '${name}' of resource 'ServicePrincipal'.`,
    );
    if (name === 'accountEnabled' || name === 'appRoleAssignmentRequired') {
      if (typeof value !== 'boolean') throw invalid;
      changes[name] = value;
    } else if (name === 'displayName') {
      if (typeof value !== 'string' || value.trim() === '' || value.length > 256) throw invalid;
      changes.displayName = value;
    } else if (name === 'tags') {
      const tags = Array.isArray(value) && value.length <= 100 ? value : [];
      if (tags !== value || !tags.every((tag) => typeof tag === 'string' && tag.length <= 256)) {
        throw invalid;
      }
      changes.tags = tags as string[];
    } else if (name === 'appId') {
      const same = key.by === 'appId' && String(value).toLowerCase() === key.value.toLowerCase();
      if (!same) throw new InvalidRequest("Property 'appId' is read-only and cannot be set.");
    } else {
      throw new InvalidRequest(
        `Property '${name}' does not exist on type 'microsoft.graph.servicePrincipal'.`,
      );
    }
  }
  return changes;
}
