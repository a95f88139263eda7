/**
 * `npm run register` and `npm run unregister`, through Microsoft Graph: for each sample, one
 * application with exactly what its `registration.ts` declares, a service principal, a client
 * secret; their values in the env file. Every step can be run again: the application is found by
 * its `uniqueName` (and changed only where it differs), the service principal likewise, and a
 * secret is added only when the env file has none that works — so a run that stopped half-way (the
 * network, Graph) is finished by the next, and a second run changes nothing.
 */
import type { SampleRegistration } from '../sample/registration.ts';
import { type ApplicationBody, applicationFor, uniqueNameOf } from './application.ts';
import type { EnvFile } from './env-file.ts';
import { type Graph, GraphError, type GraphRequest } from './graph.ts';

export interface SampleToRegister {
  registration: SampleRegistration;
  /** Every URL it may run at: its own first, then its instances'. */
  baseUrls: string[];
}

/** The tenant the samples will run against: what the env file gets besides the apps. */
export interface Target {
  tenantId: string;
  /** ENTRA_INSTANCE: `https://login.microsoftonline.com`, or the emulator's URL. */
  instance: string;
  /** GRAPH_URL: `https://graph.microsoft.com`, or the emulator's Graph-like API. */
  graphUrl: string;
}

/** Whether a client secret works: the identity platform's answer to it. */
export type SecretCheck = (clientId: string, secret: string) => Promise<boolean>;

export interface RegisterRun {
  graph: Graph;
  /** `undefined` in a dry run: nothing is written. */
  envFile: EnvFile | undefined;
  /** What the env file says now (in a dry run too). */
  envValues: Record<string, string>;
  samples: SampleToRegister[];
  target: Target;
  /** `undefined` in a dry run, which checks nothing. */
  secretWorks: SecretCheck | undefined;
  /** How long a new secret lives. */
  secretLifetimeDays: number;
  newSessionSecret: () => string;
  print: (line: string) => void;
  /** Waits before a call is tried again (Entra takes seconds to know an object just made). */
  pause: (ms: number) => Promise<void>;
}

/** Microsoft Graph refused the caller: no use going on with the other samples. */
export class NotPermitted extends Error {
  override name = 'NotPermitted';
}

/** The display name of every secret the command adds: the ones it replaces. */
export const SECRET_NAME = 'npm run register';

/** The variables the command writes for a sample. */
export function sampleVariables(registration: SampleRegistration) {
  const prefix = registration.name.toUpperCase();
  return { clientId: `${prefix}_CLIENT_ID`, clientSecret: `${prefix}_CLIENT_SECRET` };
}

export const HEADING = '# Written by npm run register (npm run unregister removes them)';
export const TARGET_VARIABLES = ['ENTRA_TENANT_ID', 'ENTRA_INSTANCE', 'GRAPH_URL'] as const;

/** Registers every sample; how many could not be registered whole. */
export async function register(run: RegisterRun): Promise<number> {
  const { envFile, target } = run;
  if (envFile) {
    envFile.set('ENTRA_TENANT_ID', target.tenantId, HEADING);
    envFile.set('ENTRA_INSTANCE', target.instance, HEADING);
    envFile.set('GRAPH_URL', target.graphUrl, HEADING);
    if (!run.envValues.SESSION_SECRET)
      envFile.set('SESSION_SECRET', run.newSessionSecret(), HEADING);
  }
  let failed = 0;
  for (const sample of run.samples) {
    try {
      const whole = await registerOne(run, sample);
      if (!whole) failed += 1;
    } catch (error) {
      if (!(error instanceof GraphError) || error.status === 401 || error.status === 403) {
        throw explained(error);
      }
      run.print(`${sample.registration.name}: not registered: ${error.message}`);
      failed += 1;
    }
  }
  envFile?.save();
  return failed;
}

/** One sample: its application, service principal and secret; whether all of it was set. */
async function registerOne(run: RegisterRun, sample: SampleToRegister): Promise<boolean> {
  const { graph, print } = run;
  const { registration } = sample;
  const wanted = applicationFor(registration, sample.baseUrls);
  const alternateKey = `/applications(uniqueName='${uniqueNameOf(registration)}')`;
  await refuseToOverwrite(run, registration);
  const existing = await find(graph, alternateKey);
  let app: Record<string, unknown>;
  let outcome: Outcome = { refused: [], redirectsSet: true, logoutSet: true };
  if (existing) {
    app = existing;
    const changed = differences(existing, wanted);
    if (changed.length === 0) {
      print(
        `${registration.name}: application "${wanted.displayName}" found, as registration.ts declares it (client id ${existing.appId})`,
      );
    } else {
      outcome = await setApplication(run, `/applications/${existing.id}`, wanted, 'update');
      const set = changed.filter((field) =>
        field === 'web' ? outcome.redirectsSet : !outcome.refused.some((r) => r.field === field),
      );
      print(
        `${registration.name}: application "${wanted.displayName}" found (client id ${existing.appId}); set again: ${set.join(', ') || 'nothing'}`,
      );
      const before = existing.web as Partial<ApplicationBody['web']> | undefined;
      if (set.includes('web')) {
        print(
          `  it had: redirect URIs ${before?.redirectUris?.join(', ') || 'none'}; front-channel logout URL ${before?.logoutUrl ?? 'none'}`,
        );
      }
    }
  } else {
    outcome = await setApplication(run, alternateKey, wanted, 'create');
    app = outcome.created ?? {};
    print(
      `${registration.name}: application "${wanted.displayName}" created (client id ${app.appId})`,
    );
  }
  if (outcome.redirectsSet) {
    for (const url of wanted.web.redirectUris) print(`  redirect URI: ${url}`);
  }
  if (outcome.logoutSet) print(`  front-channel logout URL: ${wanted.web.logoutUrl ?? 'none'}`);
  for (const { label, message } of outcome.refused) print(`  !! ${label}: ${message}`);

  const appId = String(app.appId);
  const principal = await soonAfterCreation(run, {
    method: 'PATCH',
    path: `/servicePrincipals(appId='${appId}')`,
    createIfMissing: true,
    // The tag the Entra admin center gives an app's service principal: listed in Enterprise applications.
    body: { tags: ['WindowsAzureActiveDirectoryIntegratedApp'] },
  });
  print(`  service principal ${principal.status === 201 ? 'created' : 'found'}`);

  await ensureSecret(
    run,
    registration,
    String(app.id),
    appId,
    asCredentials(app.passwordCredentials),
  );
  return outcome.refused.length === 0;
}

/**
 * The env file names, for this sample, an application the command did not make (a registration
 * of the reader's own, entered by hand): its secret could not be had again once overwritten.
 * Refused, before anything is written; one that no longer exists (the emulator restarted) is not
 * in the way.
 */
async function refuseToOverwrite(
  run: RegisterRun,
  registration: SampleRegistration,
): Promise<void> {
  const variable = sampleVariables(registration).clientId;
  const clientId = run.envValues[variable];
  if (!clientId || !/^[0-9a-f-]{36}$/i.test(clientId)) return;
  const app = await find(run.graph, `/applications(appId='${clientId}')`);
  if (app && app.uniqueName !== uniqueNameOf(registration)) {
    throw new ForeignApplication(
      `${registration.name}: ${variable}=${clientId} in the env file is an application npm run register did not make ("${app.displayName}"); writing this sample's would lose its secret. Remove its two lines from the file, or give another --env-file, and run this again.`,
    );
  }
}

/** The env file holds another application's client id and secret. */
export class ForeignApplication extends Error {
  override name = 'ForeignApplication';
}

/** The application with that key, or `undefined`: Graph's 404. */
async function find(graph: Graph, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await graph.send({ method: 'GET', path })).json ?? {};
  } catch (error) {
    if (error instanceof GraphError && error.status === 404) return undefined;
    throw error;
  }
}

/** The fields of the application that differ from what the sample declares. */
function differences(
  app: Record<string, unknown>,
  wanted: ApplicationBody,
): Array<keyof ApplicationBody> {
  const web = (app.web ?? {}) as Partial<ApplicationBody['web']>;
  const claims =
    ((app.optionalClaims ?? {}) as { idToken?: Array<{ name: string }> }).idToken ?? [];
  const access = (app.requiredResourceAccess ?? []) as ApplicationBody['requiredResourceAccess'];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const sorted = (list: ApplicationBody['requiredResourceAccess']) =>
    list.map(({ resourceAppId, resourceAccess }) => ({
      resourceAppId,
      resourceAccess: resourceAccess.map(({ id, type }) => `${type}:${id}`).sort(),
    }));
  const changed: Array<keyof ApplicationBody> = [];
  for (const field of ['displayName', 'signInAudience', 'notes'] as const) {
    if (app[field] !== wanted[field]) changed.push(field);
  }
  if (
    // Entra keeps redirect URIs as a set: their order is not theirs to keep.
    !same([...(web.redirectUris ?? [])].sort(), [...wanted.web.redirectUris].sort()) ||
    (web.logoutUrl ?? null) !== wanted.web.logoutUrl ||
    web.implicitGrantSettings?.enableIdTokenIssuance !== false ||
    web.implicitGrantSettings?.enableAccessTokenIssuance !== false
  ) {
    changed.push('web');
  }
  const names = (list: Array<{ name: string }>) => list.map(({ name }) => name).sort();
  if (!same(names(claims), names(wanted.optionalClaims.idToken))) changed.push('optionalClaims');
  if (!same(sorted(access), sorted(wanted.requiredResourceAccess))) {
    changed.push('requiredResourceAccess');
  }
  return changed;
}

interface Refusal {
  field: keyof ApplicationBody;
  /** What the terminal says was refused. */
  label: string;
  message: string;
}

interface Outcome {
  /** The application made, as Graph returned it (on a create). */
  created?: Record<string, unknown>;
  refused: Refusal[];
  redirectsSet: boolean;
  logoutSet: boolean;
}

/**
 * Sets the application in one request (`PATCH` of the fields, or an upsert that creates it);
 * when the tenant refuses it (400), with its name alone and then each field on its own, so that
 * one refused field (an `http` logout URL, say) is said by name and the others are set all the
 * same. The logout URL is tried after the redirect URIs (a `web` without it), so a refusal is put
 * on the right one.
 */
async function setApplication(
  run: RegisterRun,
  path: string,
  application: ApplicationBody,
  kind: 'create' | 'update',
): Promise<Outcome> {
  const request = { method: 'PATCH' as const, path, createIfMissing: kind === 'create' };
  try {
    const { json } = await run.graph.send({ ...request, body: application });
    return {
      created: await createdApplication(run, path, kind, json),
      refused: [],
      redirectsSet: true,
      logoutSet: true,
    };
  } catch (error) {
    if (!(error instanceof GraphError) || error.status !== 400) throw error;
    if (/uniqueName/i.test(error.graphMessage)) throw uniqueNameTaken(error);
  }
  const { displayName, signInAudience, notes, web, optionalClaims, requiredResourceAccess } =
    application;
  const { json } = await run.graph.send({
    ...request,
    body: { displayName, signInAudience, notes },
  });
  const created = await createdApplication(run, path, kind, json);
  // By its object id: Entra may not find a new application by its uniqueName for a few seconds.
  const update = { method: 'PATCH' as const, path: created ? `/applications/${created.id}` : path };
  const attempt = async (body: Partial<ApplicationBody>): Promise<string | undefined> => {
    try {
      await soonAfterCreation(run, { ...update, body });
      return undefined;
    } catch (error) {
      if (!(error instanceof GraphError) || error.status !== 400) throw error;
      return error.graphMessage;
    }
  };
  const outcome: Outcome = { created, refused: [], redirectsSet: true, logoutSet: true };
  const withoutLogout = await attempt({ web: { ...web, logoutUrl: null } });
  if (withoutLogout !== undefined) {
    outcome.redirectsSet = false;
    outcome.logoutSet = false;
    outcome.refused.push({
      field: 'web',
      label: 'web.redirectUris refused by the tenant (and the logout URL not set with them)',
      message: withoutLogout,
    });
  } else if (web.logoutUrl !== null) {
    const withLogout = await attempt({ web });
    if (withLogout !== undefined) {
      outcome.logoutSet = false;
      outcome.refused.push({
        field: 'web',
        label: 'web.logoutUrl refused by the tenant',
        message: withLogout,
      });
    }
  }
  for (const [field, body] of [
    ['optionalClaims', { optionalClaims }],
    ['requiredResourceAccess', { requiredResourceAccess }],
  ] as const) {
    const message = await attempt(body);
    if (message !== undefined) {
      outcome.refused.push({ field, label: `${field} refused by the tenant`, message });
    }
  }
  return outcome;
}

/**
 * The application an upsert made: Graph's answer (201). A 204 means one existed after all (made
 * by a run at the same moment, or not yet found by the GET): it is looked up again.
 */
async function createdApplication(
  run: RegisterRun,
  path: string,
  kind: 'create' | 'update',
  json: Record<string, unknown> | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (kind === 'update') return undefined;
  if (json?.appId) return json;
  const found = await soonAfterCreation(run, { method: 'GET', path });
  if (!found.json?.appId) throw new Error(`${path}: Graph gave no application`);
  return found.json;
}

/** An application deleted in the last 30 days holds the name, in the tenant's deleted items. */
function uniqueNameTaken(error: GraphError): Error {
  return new GraphError(
    error.request,
    error.status,
    error.code,
    `${error.graphMessage} An application deleted within 30 days may hold the name: delete it for good (Entra admin center, App registrations, Deleted applications; or DELETE /directory/deletedItems/{id}), then run this again.`,
  );
}

/**
 * A call on an object made a moment ago: Entra may not know it yet everywhere (a 404, or a 400
 * saying the application is no valid object) for a few seconds; tried again, up to about 15 s.
 */
async function soonAfterCreation(run: Pick<RegisterRun, 'graph' | 'pause'>, request: GraphRequest) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run.graph.send(request);
    } catch (error) {
      const notYet =
        error instanceof GraphError &&
        (error.status === 404 ||
          (error.status === 400 && /valid application/i.test(error.graphMessage)));
      if (!notYet || attempt >= 4) throw error;
      await run.pause(1000 * 2 ** attempt);
    }
  }
}

interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string | null;
  startDateTime: string | null;
}

/** How long a new secret may go unaccepted by the identity platform (Entra takes a moment). */
const NEW_SECRET_GRACE_MS = 10 * 60_000;

function asCredentials(value: unknown): PasswordCredential[] {
  return Array.isArray(value) ? (value as PasswordCredential[]) : [];
}

/**
 * Keeps the env file's secret when the identity platform takes it for this app (a client
 * credentials request); otherwise adds one, writes it at once (Graph shows it only now), then
 * removes the app's other secrets this command made: replaced, and said so.
 */
async function ensureSecret(
  run: RegisterRun,
  registration: SampleRegistration,
  id: string,
  appId: string,
  credentials: PasswordCredential[],
): Promise<void> {
  const { envFile, envValues, print } = run;
  const variables = sampleVariables(registration);
  const secret = envValues[variables.clientSecret];
  const sameApp = envValues[variables.clientId] === appId;
  const file = envFile?.path ?? 'the env file';
  if (sameApp && secret && run.secretWorks) {
    if (await run.secretWorks(appId, secret)) {
      envFile?.set(variables.clientId, appId, HEADING);
      print(`  client secret: the one in ${file} (${variables.clientSecret}) works; kept`);
      return;
    }
    // Refused, but made minutes ago: Entra may not take it yet everywhere. Kept, not replaced
    // (replacing it would remove the secret a running sample may already use).
    const fresh = credentials.find(
      ({ displayName, hint, startDateTime }) =>
        displayName === SECRET_NAME &&
        hint !== null &&
        secret.startsWith(hint) &&
        Date.now() - Date.parse(startDateTime ?? '') < NEW_SECRET_GRACE_MS,
    );
    if (fresh) {
      print(
        `  client secret: the one in ${file} was made minutes ago and is not taken yet; kept (run this again later to check it)`,
      );
      return;
    }
  }
  const endDateTime = new Date(Date.now() + run.secretLifetimeDays * 24 * 3600_000).toISOString();
  const added = await soonAfterCreation(run, {
    method: 'POST',
    path: `/applications/${id}/addPassword`,
    body: { passwordCredential: { displayName: SECRET_NAME, endDateTime } },
  });
  const secretText = added.json?.secretText;
  const keyId = added.json?.keyId;
  if (typeof secretText !== 'string')
    throw new Error(`${registration.name}: addPassword returned no secret`);
  if (envFile) {
    envFile.set(variables.clientId, appId, HEADING);
    envFile.set(variables.clientSecret, secretText, HEADING);
    envFile.save();
  }
  const why =
    secret === undefined
      ? 'the env file had none'
      : sameApp
        ? 'the identity platform refused the one in the env file'
        : "the env file held another app's";
  print(
    `  client secret: a new one (${why}), valid until ${endDateTime.slice(0, 10)}, written to ${file} as ${variables.clientSecret}`,
  );
  const earlier = credentials.filter(
    (credential) => credential.displayName === SECRET_NAME && credential.keyId !== keyId,
  );
  for (const { keyId } of earlier) {
    await run.graph.send({
      method: 'POST',
      path: `/applications/${id}/removePassword`,
      body: { keyId },
    });
  }
  if (earlier.length > 0) {
    print(
      `  replaced: ${earlier.length} earlier secret(s) made by npm run register removed from the app (another env file that held one needs npm run register again)`,
    );
  }
}

/** Removes what {@link register} made: each application and its service principal, for good. */
export async function unregister(
  run: Pick<RegisterRun, 'graph' | 'envFile' | 'samples' | 'print' | 'pause'>,
): Promise<void> {
  const { envFile } = run;
  try {
    for (const { registration } of run.samples) await unregisterOne(run, registration);
  } catch (error) {
    throw explained(error);
  }
  if (envFile) {
    const left = run.samples.some(({ registration }) =>
      envFile.get(sampleVariables(registration).clientId),
    );
    if (!left) for (const name of TARGET_VARIABLES) envFile.remove(name);
    envFile.save();
  }
}

/** One sample's application: deleted, purged, and its lines out of the env file at once. */
async function unregisterOne(
  run: Pick<RegisterRun, 'graph' | 'envFile' | 'print' | 'pause'>,
  registration: SampleRegistration,
): Promise<void> {
  const { graph, envFile, print } = run;
  const app = await find(graph, `/applications(uniqueName='${uniqueNameOf(registration)}')`);
  if (!app) {
    print(`${registration.name}: no application to remove`);
  } else {
    const id = String(app.id);
    await deleteIfThere(graph, `/servicePrincipals(appId='${app.appId}')`);
    await graph.send({ method: 'DELETE', path: `/applications/${id}` });
    print(
      `${registration.name}: application and service principal deleted (client id ${app.appId})`,
    );
  }
  // Saved before the purge: the application is gone, whatever happens next.
  forget(envFile, registration);
  envFile?.save();
  if (app) await purge(run, String(app.id));
}

/**
 * A deleted application waits 30 days in the tenant's deleted items, its `uniqueName` taken:
 * deleted from there too, a later `npm run register` can make it again. Entra may take a few
 * seconds to list it there.
 */
async function purge(
  run: Pick<RegisterRun, 'graph' | 'print' | 'pause'>,
  id: string,
): Promise<void> {
  try {
    await soonAfterCreation(run, { method: 'DELETE', path: `/directory/deletedItems/${id}` });
    run.print('  and deleted from the deleted items: its uniqueName is free again');
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 404)) throw error;
    run.print(
      '  !! not found in the deleted items: it may wait there 30 days, its uniqueName taken (Entra admin center, App registrations, Deleted applications, to delete it for good)',
    );
  }
}

function forget(envFile: EnvFile | undefined, registration: SampleRegistration): void {
  const { clientId, clientSecret } = sampleVariables(registration);
  envFile?.remove(clientId);
  envFile?.remove(clientSecret);
}

async function deleteIfThere(graph: Graph, path: string): Promise<void> {
  try {
    await graph.send({ method: 'DELETE', path });
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 404)) throw error;
  }
}

/** Graph's refusal of the caller, said with what the caller needs. */
function explained(error: unknown): unknown {
  if (!(error instanceof GraphError)) return error;
  if (error.status === 403) {
    return new NotPermitted(
      `Microsoft Graph refused: ${error.status} ${error.code}: ${error.graphMessage}\nRegistering and removing applications takes the delegated permission Application.ReadWrite.All (the Azure CLI's token has it) and an account that may register applications: one with the role Application Developer (its own apps), Cloud Application Administrator or Application Administrator — or any member, where the tenant lets users register applications. Sign in with such an account (az login) and run this again.`,
    );
  }
  if (error.status === 401) {
    return new NotPermitted(
      `Microsoft Graph refused the token: ${error.status} ${error.code}: ${error.graphMessage}\nGet a new one (az login, or a new GRAPH_ACCESS_TOKEN) and run this again.`,
    );
  }
  return error;
}
