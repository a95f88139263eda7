/**
 * `npm run your-own-app`: app.ts at http://localhost:3100 (PORT), with one command.
 *
 * With no tenant configured, the embedded emulator of the identity platform starts beside it, at
 * http://127.0.0.1:4100 (EMULATOR_PORT; its Graph-like API at GRAPH_PORT, 4101): another site than
 * the app, as Entra ID is, with this app registered and a client secret made for this run. With
 * ENTRA_TENANT_ID, ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET, the app uses Entra ID and Microsoft
 * Graph instead. REDIS_URL keeps sessions and tokens in Redis (then SESSION_SECRET too, the same
 * for every instance). This file is wiring: it may start the emulator; app.ts knows nothing of it.
 */
import { randomBytes } from 'node:crypto';
import { EMULATOR_DEFAULTS, type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { port as portNumber } from '../../shared/config/environment.ts';
import { StartupError } from '../../shared/core/index.ts';
import { runCommand } from '../../shared/run/command-line.ts';
import { closeServer, listen } from '../../shared/run/http-server.ts';
import { registrationFor, createApp as thisApp, type YourAppSettings } from './app.ts';

type IdentityPlatform = Omit<YourAppSettings, 'app' | 'redisUrl'> & {
  clientId: string;
  clientSecret: string;
};

export interface Started {
  url: string;
  own: Awaited<ReturnType<typeof thisApp>>;
  emulator: RunningEmulator | undefined;
  close(): Promise<void>;
}

/**
 * Starts the app as `env` says, and the emulator when no tenant is configured. `createApp` is
 * app.ts's, unless a test hands in a copy of it (docs/your-own-koa-app.md's "what to copy").
 */
export async function start(env: NodeJS.ProcessEnv, createApp = thisApp): Promise<Started> {
  const port = portOf(env, 'PORT', 3100);
  const url = `http://localhost:${port}`;
  if (env.REDIS_URL && !env.SESSION_SECRET) {
    throw new StartupError(
      'SESSION_SECRET is required with REDIS_URL (the same for all instances)',
    );
  }
  // It signs the cookies and seals what Redis holds: a guessable one would give both away.
  if (env.SESSION_SECRET !== undefined && env.SESSION_SECRET.length < 32) {
    throw new StartupError('SESSION_SECRET must be at least 32 characters long');
  }
  if (env.REDIS_CLUSTER_NODES) {
    // Not silently one process's memory: this small app connects to one Redis only.
    throw new StartupError(
      'REDIS_CLUSTER_NODES: npm run your-own-app takes one Redis (REDIS_URL); the samples take a cluster',
    );
  }
  const { emulator, ...identity } = env.ENTRA_TENANT_ID ? entra(env) : await emulated(env, url);
  const closing: Array<() => Promise<unknown>> = emulator ? [() => emulator.close()] : [];
  const close = async () => {
    for (const step of closing.splice(0).reverse()) await step();
  };
  try {
    const { clientId, clientSecret, ...settings } = identity;
    const sessionKeys = [env.SESSION_SECRET || randomBytes(32).toString('base64url')];
    const app = { name: 'your-own-app', clientId, clientSecret, baseUrl: url, sessionKeys };
    const own = await createApp({ ...settings, app, redisUrl: env.REDIS_URL });
    closing.push(own.close);
    const server = await listen(own.app.callback(), port, 'PORT');
    closing.push(() => closeServer(server));
    return { url, own, emulator, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Entra ID: the tenant's discovery document, and Microsoft Graph. */
function entra(env: NodeJS.ProcessEnv): IdentityPlatform & { emulator?: undefined } {
  const required = (variable: string) => {
    const value = env[variable];
    if (!value) throw new StartupError(`${variable} is required with ENTRA_TENANT_ID`);
    return value;
  };
  // Another cloud's instance (ENTRA_INSTANCE) for national clouds, and for a test.
  const instance = env.ENTRA_INSTANCE || 'https://login.microsoftonline.com';
  const authority = `${instance}/${env.ENTRA_TENANT_ID}`;
  return {
    identityPlatform: {
      authority,
      discoveryUrl: `${authority}/v2.0/.well-known/openid-configuration`,
      outboundTimeoutMs: 10_000,
      discoveryHint: 'is ENTRA_TENANT_ID right?',
    },
    graphUrl: 'https://graph.microsoft.com',
    clientId: required('ENTRA_CLIENT_ID'),
    clientSecret: required('ENTRA_CLIENT_SECRET'),
  };
}

/** The emulator, on 127.0.0.1 (another site than the app's localhost), with this app registered. */
async function emulated(
  env: NodeJS.ProcessEnv,
  url: string,
): Promise<IdentityPlatform & { emulator: RunningEmulator }> {
  const port = portOf(env, 'EMULATOR_PORT', 4100);
  const graphPort = portOf(env, 'GRAPH_PORT', 4101);
  const { tenantId, password } = EMULATOR_DEFAULTS;
  const clientId = '5e0c3a7d-2b4f-4c8e-9a61-7d3f0b2e1c44';
  const clientSecret = randomBytes(32).toString('base64url');
  const emulator = await startEmulator({
    port,
    graphPort,
    tenantId,
    password,
    publicUrls: { identity: `http://127.0.0.1:${port}`, graph: `http://127.0.0.1:${graphPort}` },
    apps: [{ displayName: 'Your own Koa app', clientId, clientSecret, ...registrationFor(url) }],
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    throw new StartupError(
      `Port ${port} or ${graphPort} (EMULATOR_PORT, GRAPH_PORT) is already in use: set them`,
    );
  });
  return {
    identityPlatform: {
      // msal takes only an https authority: an identifier here, the endpoints come from discovery.
      authority: `https://127.0.0.1:${port}/${tenantId}`,
      discoveryUrl: `${emulator.issuer}/.well-known/openid-configuration`,
      outboundTimeoutMs: 10_000,
    },
    graphUrl: emulator.graphUrl,
    clientId,
    clientSecret,
    emulator,
  };
}

/** The command: prints where to go; a problem in one line; Ctrl-C stops everything (runCommand). */
async function run(): Promise<void> {
  await runCommand(async (log) => {
    const started = await start(process.env);
    const { url, emulator } = started;
    if (emulator) {
      const users = emulator.users.map((user) => user.userPrincipalName).join(', ');
      log.info(
        `The identity platform (emulated): ${emulator.identityUrl}/, where you can also sign out everywhere`,
      );
      log.info(`Demo users: ${users}; password ${EMULATOR_DEFAULTS.password}`);
    }
    log.info(`Open ${url}`);
    return started;
  });
}

if (process.argv[1] === import.meta.filename) await run();

/** A port from `env`, or `fallback`: a whole number from 1 to 65535, or a start-up error. */
function portOf(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const port = portNumber.parse(value);
  if (port === undefined) {
    throw new StartupError(
      `${name} must be a port, a whole number from 1 to 65535 (not "${value}")`,
    );
  }
  return port;
}
