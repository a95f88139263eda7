/**
 * EMULATOR_APPS: a JSON file of app registrations the emulator registers beside the samples', so
 * that any OpenID Connect client can be pointed at it (docs/configuration.md, "Registering your
 * own app in the emulator"). Each entry is checked field by field, as Entra's admin center checks
 * a registration, and a client id registered twice (by a sample, or by an earlier entry) is
 * refused, as Entra refuses a second app with the same client id. Every problem names the file,
 * the entry and the field, and joins the others of the configuration.
 */
import { readFileSync } from 'node:fs';
import { type AppRegistration, GRAPH_PERMISSIONS } from '../../emulator/index.ts';
import type { SampleRegistration } from '../sample/registration.ts';
import { GUID_PATTERN } from './environment.ts';

/** An app registration from the EMULATOR_APPS file, with where it came from (for messages). */
export interface ConfiguredApp {
  app: AppRegistration;
  /** e.g. `EMULATOR_APPS: "./apps.json" entry 1` */
  source: string;
}

const VARIABLE = 'EMULATOR_APPS';

/**
 * The apps `file` registers, or none when it names no file; each problem goes to `problem`, and
 * an entry with any is left out.
 */
export function readEmulatorApps(
  file: string | undefined,
  registrations: readonly SampleRegistration[],
  problem: (message: string) => void,
): ConfiguredApp[] {
  if (file === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not valid JSON';
    problem(`${VARIABLE}: cannot read app registrations from "${file}" (${reason})`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    problem(`${VARIABLE}: "${file}" must hold a JSON array of app registrations`);
    return [];
  }
  const apps = parsed.flatMap((entry: unknown, index) => {
    const source = `${VARIABLE}: "${file}" entry ${index}`;
    const problems = entryProblems((entry ?? {}) as Record<string, unknown>);
    for (const each of problems) problem(`${source}: ${each}`);
    return problems.length > 0 ? [] : [{ app: registration(entry as Entry), source }];
  });
  return withoutClientIdClashes(registrations, apps, problem);
}

/** An entry whose fields {@link entryProblems} found right. */
type Entry = Omit<AppRegistration, 'displayName'> & { displayName?: unknown };

const isUrl = (value: unknown) =>
  typeof value === 'string' && URL.canParse(value) && /^https?:/.test(value);

/** What is wrong with an entry, field by field, in the order of its fields in the docs. */
function entryProblems(app: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof app.clientId !== 'string' || !GUID_PATTERN.test(app.clientId)) {
    problems.push('"clientId" must be a GUID');
  }
  if (typeof app.clientSecret !== 'string' || app.clientSecret === '') {
    problems.push('"clientSecret" must be a non-empty string');
  }
  if (!Array.isArray(app.redirectUris) || app.redirectUris.length === 0) {
    problems.push('"redirectUris" must be a non-empty array of URLs');
  } else if (!app.redirectUris.every(isUrl)) {
    problems.push('every entry of "redirectUris" must be an absolute http(s) URL');
  }
  if (app.frontChannelLogoutUrl !== undefined && !isUrl(app.frontChannelLogoutUrl)) {
    problems.push('"frontChannelLogoutUrl" must be an absolute http(s) URL');
  }
  const claims = app.optionalClaims;
  if (
    claims !== undefined &&
    !(Array.isArray(claims) && claims.every((claim) => claim === 'sid' || claim === 'login_hint'))
  ) {
    problems.push('"optionalClaims" must be an array of "sid" and "login_hint"');
  }
  const permissions = app.apiPermissions;
  const known = GRAPH_PERMISSIONS.map((permission) => permission.toLowerCase());
  if (
    permissions !== undefined &&
    !(
      Array.isArray(permissions) &&
      permissions.every((p) => typeof p === 'string' && known.includes(p.toLowerCase()))
    )
  ) {
    const names = GRAPH_PERMISSIONS.map((permission) => `"${permission}"`).join(', ');
    problems.push(`"apiPermissions" must be an array of ${names}`);
  }
  const idTokens = app.enableIdTokenIssuance;
  if (idTokens !== undefined && typeof idTokens !== 'boolean') {
    problems.push('"enableIdTokenIssuance" must be true or false');
  }
  return problems;
}

/** The registration an entry makes: what it declares, its client id lower-cased. */
function registration(app: Entry): AppRegistration {
  const registration: AppRegistration = {
    displayName: typeof app.displayName === 'string' ? app.displayName : `App ${app.clientId}`,
    clientId: app.clientId.toLowerCase(),
    clientSecret: app.clientSecret,
    redirectUris: app.redirectUris,
  };
  if (typeof app.frontChannelLogoutUrl === 'string') {
    registration.frontChannelLogoutUrl = app.frontChannelLogoutUrl;
  }
  if (Array.isArray(app.optionalClaims)) registration.optionalClaims = app.optionalClaims;
  if (Array.isArray(app.apiPermissions)) registration.apiPermissions = app.apiPermissions;
  if (app.enableIdTokenIssuance === true) registration.enableIdTokenIssuance = true;
  return registration;
}

/**
 * A client id is registered once, as in Entra: an entry that reuses a sample's, or an earlier
 * entry's, is a problem that names the entry and the app that has it.
 */
function withoutClientIdClashes(
  registrations: readonly SampleRegistration[],
  apps: ConfiguredApp[],
  problem: (message: string) => void,
): ConfiguredApp[] {
  const owners = new Map(
    registrations.map((registration) => [registration.emulatorClientId, registration.displayName]),
  );
  return apps.filter(({ app, source }) => {
    const owner = owners.get(app.clientId);
    if (owner) {
      problem(
        `${source}: client id ${app.clientId} is already registered, by "${owner}"; give this app its own`,
      );
      return false;
    }
    owners.set(app.clientId, app.displayName);
    return true;
  });
}
