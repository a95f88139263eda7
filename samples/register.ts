/**
 * `npm run register`: one app registration per sample, in a Microsoft Entra ID tenant (or the
 * embedded emulator, `--emulator`), made through Microsoft Graph from the samples'
 * `registration.ts`, and the values the samples read written to `.env`. `npm run unregister`
 * (`--unregister`) removes them. See docs/running.md, "Against a real Entra ID tenant".
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EnvironmentReader } from '../shared/config/environment.ts';
import {
  ConfigurationError,
  plainHttpElsewhere,
  registrationSettings,
} from '../shared/config/settings.ts';
import {
  type AdminToken,
  azureCliToken,
  EMULATOR_ADMINISTRATOR,
  emulatorToken,
  NoToken,
  passedInToken,
} from '../shared/register/admin-token.ts';
import { EnvFile } from '../shared/register/env-file.ts';
import { dryRun, GraphError, GraphUnreachable, graphAt } from '../shared/register/graph.ts';
import {
  ForeignApplication,
  NotPermitted,
  register,
  TARGET_VARIABLES,
  type Target,
  unregister,
} from '../shared/register/register.ts';
import { SecretCheckFailed, secretCheckAt } from '../shared/register/secret-check.ts';
import { allSamples, instancesWithRedis } from './index.ts';

const USAGE = `Usage: npm run register [-- options]    npm run unregister [-- options]

  --emulator         the embedded emulator (npm run emulator, running) instead of Entra ID
  --tenant <id>      the Entra ID tenant (default: ENTRA_TENANT_ID, else the Azure CLI's)
  --user <name>      with --emulator: who signs in (default ${EMULATOR_ADMINISTRATOR})
  --env-file <path>  where the values go (default: ENV_FILE, else .env); made with mode 0600
  --dry-run          print the Microsoft Graph requests, send none, write nothing

The token for Microsoft Graph: GRAPH_ACCESS_TOKEN if set, else the emulator's administrator
(--emulator), else the Azure CLI's (az login).`;

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const envPath = resolve(options['env-file'] ?? process.env.ENV_FILE ?? '.env');
  const envFile = EnvFile.read(envPath);
  const envValues = envFile.values();
  // Where the samples run, read as they read it: this process's environment over the file.
  const settings = registrationSettings(
    allSamples.map(({ registration }) => registration),
    { ...envValues, ...process.env },
    instancesWithRedis,
  );
  const removing = options.unregister === true;
  const dry = options['dry-run'] === true;
  const emulator = options.emulator === true;
  // The target is chosen here, never by the file: the file is what this command writes.
  const fromProcess = new EnvironmentReader(process.env);
  const instance = emulator ? settings.emulator.identityUrl : fromProcess.get('ENTRA_INSTANCE');
  const graphUrl = emulator ? settings.emulator.graphUrl : fromProcess.get('GRAPH_URL');
  fromProcess.throwIfProblems();
  const wantedTenant = emulator
    ? settings.emulator.tenantId
    : (options.tenant ?? process.env.ENTRA_TENANT_ID?.trim() ?? undefined);

  const print = (line: string) => console.log(line);
  const where = emulator ? `the emulator at ${graphUrl}` : `Microsoft Graph at ${graphUrl}`;
  for (const [name, url] of [
    ['ENTRA_INSTANCE', instance],
    ['GRAPH_URL', graphUrl],
  ] as const) {
    const problem = plainHttpElsewhere(name, url);
    if (problem) throw new ConfigurationError([problem]);
  }
  let graph = dryRun(graphUrl, print, { registered: removing });
  let tenantId = wantedTenant ?? '{tenant id: the token says}';
  if (dry) {
    refuseAnotherTarget(envPath, envValues, { tenantId: wantedTenant, instance, graphUrl });
    print(
      `Dry run: the requests ${removing ? 'npm run unregister' : 'a first npm run register'} sends to ${where}; none is sent, nothing is written.\n`,
    );
  } else {
    const token = await adminToken(emulator, settings, options.user, graphUrl, wantedTenant);
    tenantId = token.tenantId ?? wantedTenant ?? '';
    if (!tenantId) throw new NoToken('The token names no tenant (tid): give one with --tenant.');
    print(
      `${removing ? 'Removing from' : 'Registering in'} tenant ${tenantId}, through ${where}, with a token from ${token.source}.`,
    );
    refuseAnotherTarget(envPath, envValues, { tenantId, instance, graphUrl });
    graph = graphAt(graphUrl, token.token, settings.outboundTimeoutMs);
  }
  const samples = settings.samples;
  const pause = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
  const common = { graph, envFile: dry ? undefined : envFile, envValues, samples, print, pause };
  if (removing) {
    await unregister(common);
    if (!dry) print(`\nRemoved from ${envPath}: the samples' client ids and secrets.`);
    return 0;
  }
  const target: Target = { tenantId, instance, graphUrl };
  const failed = await register({
    ...common,
    target,
    secretWorks: dry ? undefined : secretCheckAt(instance, tenantId, settings.outboundTimeoutMs),
    secretLifetimeDays: 180,
    newSessionSecret: () => randomBytes(32).toString('base64url'),
  });
  print('');
  if (dry) {
    refuseAnotherTarget(envPath, envValues, { tenantId: wantedTenant, instance, graphUrl });
    print(
      `Would write to ${envPath}: ENTRA_TENANT_ID, ENTRA_INSTANCE=${instance}, GRAPH_URL=${graphUrl}, SESSION_SECRET (if none), and each sample's <NAME>_CLIENT_ID and <NAME>_CLIENT_SECRET=***.`,
    );
    return 0;
  }
  print(
    `Written to ${envPath} (mode 0600): ENTRA_TENANT_ID, ENTRA_INSTANCE, GRAPH_URL, SESSION_SECRET and each sample's client id and secret.`,
  );
  if (failed > 0) {
    print(`${failed} sample(s) not registered whole (above). Run this again once fixed.`);
    return 1;
  }
  print(`Now: npm start${envPath === resolve('.env') ? '' : ` (with ENV_FILE=${envPath})`}`);
  return 0;
}

/**
 * The env file names the tenant its client ids and secrets are for: a run against another (another
 * `az login`, `--emulator` on a real tenant's file) would overwrite them, or remove them, while
 * their applications stay. Refused, before any request.
 */
function refuseAnotherTarget(
  envPath: string,
  values: Record<string, string>,
  target: Omit<Target, 'tenantId'> & { tenantId: string | undefined },
): void {
  const fields = {
    ENTRA_TENANT_ID: 'tenantId',
    ENTRA_INSTANCE: 'instance',
    GRAPH_URL: 'graphUrl',
  } as const;
  const differing = TARGET_VARIABLES.filter((name) => {
    const value = values[name]?.trim();
    const wanted = target[fields[name]];
    return value && wanted !== undefined && value.toLowerCase() !== wanted.toLowerCase();
  });
  if (differing.length === 0) return;
  const said = differing.map((name) => `${name}=${values[name]}`).join(', ');
  throw new AnotherTarget(
    `${envPath} holds the registrations of another tenant (${said}); this run is for tenant ${target.tenantId ?? '(the one the token names)'} at ${target.instance}. Run npm run unregister against that one first (with the options it was registered with), or give this run another --env-file.`,
  );
}

class AnotherTarget extends Error {
  override name = 'AnotherTarget';
}

/**
 * The command's options. npm's scripts put them after a `--`: node reads an `--env-file` anywhere
 * in its arguments as its own (and would load the file) unless a `--` comes first.
 */
function parseOptions() {
  const args = process.argv.slice(2);
  return parseArgs({
    args: args[0] === '--' ? args.slice(1) : args,
    options: {
      emulator: { type: 'boolean' },
      tenant: { type: 'string' },
      user: { type: 'string' },
      'env-file': { type: 'string' },
      'dry-run': { type: 'boolean' },
      unregister: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

function adminToken(
  emulator: boolean,
  settings: ReturnType<typeof registrationSettings>,
  user: string | undefined,
  graphUrl: string,
  tenantId: string | undefined,
): Promise<AdminToken> {
  const passed = process.env.GRAPH_ACCESS_TOKEN?.trim();
  if (passed) return Promise.resolve(passedInToken(passed));
  if (emulator) {
    return emulatorToken(
      settings.emulator,
      user ?? EMULATOR_ADMINISTRATOR,
      settings.outboundTimeoutMs,
    );
  }
  return azureCliToken(graphUrl, tenantId, settings.outboundTimeoutMs);
}

try {
  process.exitCode = await main();
} catch (error) {
  const known =
    error instanceof ConfigurationError ||
    error instanceof NoToken ||
    error instanceof NotPermitted ||
    error instanceof GraphError ||
    error instanceof AnotherTarget ||
    error instanceof ForeignApplication ||
    error instanceof SecretCheckFailed ||
    error instanceof GraphUnreachable;
  if (error instanceof GraphUnreachable) {
    console.error(
      `${error.message}\nNothing is lost: run the command again, and it finishes what this run started.`,
    );
  } else {
    console.error(known ? (error as Error).message : error);
  }
  process.exitCode = 1;
}
