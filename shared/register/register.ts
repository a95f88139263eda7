/**
 * `npm run register` and `npm run unregister`, through Microsoft Graph: for each sample, one
 * application with exactly what its `registration.ts` declares, a service principal, a client
 * secret; their values in the env file. Every step can be run again: the application is found by
 * its `uniqueName` and set again (an upsert), the service principal likewise, and a secret is
 * added only when the env file has none that works — so a run that stopped half-way (the network,
 * Graph) is finished by the next, and a second run changes nothing.
 */
import type { SampleRegistration } from '../sample/registration.ts';
import { type ApplicationBody, applicationFor, uniqueNameOf } from './application.ts';
import type { EnvFile } from './env-file.ts';
import { type Graph, GraphError } from './graph.ts';

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

export interface RegisterRun {
  graph: Graph;
  /** `undefined` in a dry run: nothing is written. */
  envFile: EnvFile | undefined;
  /** What the env file says now (in a dry run too). */
  envValues: Record<string, string>;
  samples: SampleToRegister[];
  target: Target;
  /** The display name of the secrets this run adds: another machine's or file's are left alone. */
  credentialName: string;
  /** How long a new secret lives. */
  secretLifetimeDays: number;
  newSessionSecret: () => string;
  print: (line: string) => void;
}

/** Microsoft Graph refused the caller: no use going on with the other samples. */
export class NotPermitted extends Error {
  override name = 'NotPermitted';
}

/** The variables the command writes for a sample. */
export function sampleVariables(registration: SampleRegistration) {
  const prefix = registration.name.toUpperCase();
  return { clientId: `${prefix}_CLIENT_ID`, clientSecret: `${prefix}_CLIENT_SECRET` };
}

const HEADING = '# Written by npm run register (npm run unregister removes them)';
const TARGET_VARIABLES = ['ENTRA_TENANT_ID', 'ENTRA_INSTANCE', 'GRAPH_URL'] as const;

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
      const incomplete = await registerOne(run, sample);
      if (incomplete) failed += 1;
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

/** One sample: its application, service principal and secret; whether a field was refused. */
async function registerOne(run: RegisterRun, sample: SampleToRegister): Promise<boolean> {
  const { graph, print } = run;
  const { registration } = sample;
  const name = registration.name;
  const application = applicationFor(registration, sample.baseUrls);
  const key = `/applications(uniqueName='${uniqueNameOf(registration)}')`;
  const { created, refused } = await upsertApplication(graph, key, application);
  const app = created ?? (await graph.send({ method: 'GET', path: key })).json ?? {};
  const id = String(app.id);
  const appId = String(app.appId);
  print(
    `${name}: application "${application.displayName}" ${created ? 'created' : 'found, and set again to what registration.ts declares'} (client id ${appId})`,
  );
  for (const url of application.web.redirectUris) print(`  redirect URI: ${url}`);
  print(`  front-channel logout URL: ${application.web.logoutUrl ?? 'none'}`);
  for (const { field, message } of refused)
    print(`  !! ${field} refused by the tenant: ${message}`);

  const principal = await graph.send({
    method: 'PATCH',
    path: `/servicePrincipals(appId='${appId}')`,
    createIfMissing: true,
    // The tag the Entra admin center gives an app's service principal: listed in Enterprise applications.
    body: { tags: ['WindowsAzureActiveDirectoryIntegratedApp'] },
  });
  print(`  service principal ${principal.status === 201 ? 'created' : 'found'}`);

  await ensureSecret(run, registration, id, appId, asCredentials(app.passwordCredentials));
  return refused.length > 0;
}

/**
 * The upsert; when the tenant refuses it (400), the application is made with its name alone and
 * each field set on its own, so that one refused field (an `http` logout URL, say) is said by
 * name and the others are set all the same.
 */
async function upsertApplication(
  graph: Graph,
  key: string,
  application: ApplicationBody,
): Promise<{ created: Record<string, unknown> | undefined; refused: Refusal[] }> {
  try {
    const answer = await graph.send({
      method: 'PATCH',
      path: key,
      createIfMissing: true,
      body: application,
    });
    return { created: answer.status === 201 ? answer.json : undefined, refused: [] };
  } catch (error) {
    if (!(error instanceof GraphError) || error.status !== 400) throw error;
  }
  const { displayName, signInAudience, notes, web, optionalClaims, requiredResourceAccess } =
    application;
  const answer = await graph.send({
    method: 'PATCH',
    path: key,
    createIfMissing: true,
    body: { displayName, signInAudience, notes },
  });
  const refused: Refusal[] = [];
  const attempt = async (field: string, body: Partial<ApplicationBody>): Promise<boolean> => {
    try {
      await graph.send({ method: 'PATCH', path: key, body });
      return true;
    } catch (error) {
      if (!(error instanceof GraphError) || error.status !== 400) throw error;
      refused.push({ field, message: error.graphMessage });
      return false;
    }
  };
  if (web.logoutUrl === null) await attempt('web.redirectUris', { web });
  else if (!(await attempt('web.logoutUrl', { web }))) {
    await attempt('web.redirectUris', { web: { ...web, logoutUrl: null } });
  }
  await attempt('optionalClaims', { optionalClaims });
  await attempt('requiredResourceAccess', { requiredResourceAccess });
  return { created: answer.status === 201 ? answer.json : undefined, refused };
}

interface Refusal {
  field: string;
  message: string;
}

interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string | null;
  endDateTime: string | null;
}

function asCredentials(value: unknown): PasswordCredential[] {
  return Array.isArray(value) ? (value as PasswordCredential[]) : [];
}

/**
 * Keeps the env file's secret when it is one of the app's (its first three characters, Graph's
 * `hint`) and lives a day more; otherwise adds one, writes it at once (Graph shows it only now),
 * then removes the secrets this file had before (same display name): replaced, and said so.
 */
async function ensureSecret(
  run: RegisterRun,
  registration: SampleRegistration,
  id: string,
  appId: string,
  credentials: PasswordCredential[],
): Promise<void> {
  const { graph, envFile, envValues, print } = run;
  const variables = sampleVariables(registration);
  const secret = envValues[variables.clientSecret];
  const sameApp = envValues[variables.clientId] === appId;
  const tomorrow = Date.now() + 24 * 3600_000;
  const ours = credentials.filter(({ displayName }) => displayName === run.credentialName);
  const kept =
    sameApp &&
    secret !== undefined &&
    ours.some(
      ({ hint, endDateTime }) =>
        hint !== null && secret.startsWith(hint) && Date.parse(endDateTime ?? '') > tomorrow,
    );
  if (kept) {
    envFile?.set(variables.clientId, appId, HEADING);
    print(
      `  client secret: the one in ${envFile?.path ?? 'the env file'} (${variables.clientSecret}) still works; kept`,
    );
    return;
  }
  const endDateTime = new Date(Date.now() + run.secretLifetimeDays * 24 * 3600_000).toISOString();
  const added = await graph.send({
    method: 'POST',
    path: `/applications/${id}/addPassword`,
    body: { passwordCredential: { displayName: run.credentialName, endDateTime } },
  });
  const secretText = added.json?.secretText;
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
        ? 'the env file lost the one it had (or it expires within a day)'
        : "the env file held another app's";
  print(
    `  client secret: a new one (${why}), valid until ${endDateTime.slice(0, 10)}, written to ${envFile?.path ?? 'the env file'} as ${variables.clientSecret}`,
  );
  for (const { keyId } of ours) {
    await graph.send({
      method: 'POST',
      path: `/applications/${id}/removePassword`,
      body: { keyId },
    });
  }
  if (ours.length > 0)
    print(`  replaced: ${ours.length} earlier secret(s) of this env file removed from the app`);
}

/** Removes what {@link register} made: each application (its service principal with it), for good. */
export async function unregister(
  run: Omit<RegisterRun, 'target' | 'secretLifetimeDays' | 'newSessionSecret'>,
): Promise<void> {
  const { graph, envFile, print } = run;
  for (const { registration } of run.samples) {
    const key = `/applications(uniqueName='${uniqueNameOf(registration)}')`;
    let app: Record<string, unknown>;
    try {
      app = (await graph.send({ method: 'GET', path: `${key}?$select=id,appId` })).json ?? {};
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) {
        print(`${registration.name}: no application to remove`);
        forget(envFile, registration);
        continue;
      }
      throw explained(error);
    }
    const id = String(app.id);
    await deleteIfThere(graph, `/servicePrincipals(appId='${app.appId}')`);
    await graph.send({ method: 'DELETE', path: `/applications/${id}` });
    // A deleted application waits 30 days in the tenant's deleted items, its uniqueName taken:
    // deleted from there too, a later `npm run register` can make it again.
    await deleteIfThere(graph, `/directory/deletedItems/${id}`);
    print(
      `${registration.name}: application and service principal removed (client id ${app.appId})`,
    );
    forget(envFile, registration);
  }
  if (envFile) {
    const left = run.samples.some(({ registration }) =>
      envFile.get(sampleVariables(registration).clientId),
    );
    if (!left) {
      for (const name of TARGET_VARIABLES) envFile.remove(name);
    }
    envFile.save();
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
      `Microsoft Graph refused: ${error.status} ${error.code}: ${error.graphMessage}\nRegistering applications takes the delegated permission Application.ReadWrite.All (the Azure CLI's token has it) and an account that may register applications: one with the role Application Developer (its own apps), Cloud Application Administrator or Application Administrator — or any member, where the tenant lets users register applications. Sign in with such an account (az login) and run this again.`,
    );
  }
  if (error.status === 401) {
    return new NotPermitted(
      `Microsoft Graph refused the token: ${error.status} ${error.code}: ${error.graphMessage}\nGet a new one (az login, or a new GRAPH_ACCESS_TOKEN) and run this again.`,
    );
  }
  return error;
}
