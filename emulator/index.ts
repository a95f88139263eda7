/**
 * An emulator of the Microsoft identity platform v2.0 (Entra ID) and of the slice of Microsoft
 * Graph the samples call. Like Azurite for Azure Storage, it is faithful where an OpenID Connect
 * client such as msal-node can tell the difference, and small everywhere else (see README.md).
 *
 * This file is its public entry: the only one code outside `emulator/` may import. The emulator
 * imports nothing from the samples or their shared code.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PASSWORD, GRAPH_APP_ID } from './directory.ts';
import { createGraphApp } from './graph-app.ts';
import { createIdentityApp } from './identity-app.ts';
import { createSigningKey } from './keys.ts';
import { GRAPH_PERMISSIONS } from './scopes.ts';
import { ssoSessionNamedBy } from './sso.ts';
import { createState, DEFAULT_DURATIONS } from './state.ts';
import type { AppRegistration, EmulatorOptions, RunningEmulator } from './types.ts';

export type { EmulatorEvent } from './events.ts';
export { sessionLabel } from './events.ts';
export { GRAPH_PERMISSIONS } from './scopes.ts';
export type { AppRegistration, DemoUser, EmulatorOptions, RunningEmulator } from './types.ts';

/** What `npm run emulator` uses unless told otherwise. */
export const EMULATOR_DEFAULTS = {
  port: 4000,
  graphPort: 4001,
  tenantId: '9188040d-6c67-4c5b-b112-36a304b66dad',
  /** The demo users' password; the only one the sign-in page ever shows. */
  password: DEFAULT_PASSWORD,
  /** Ordinary access tokens' lifetime, CAE access tokens' (`xms_cc` `cp1`), the propagation delay. */
  ...DEFAULT_DURATIONS,
} as const;

/** Thrown before anything listens when the options cannot work (two apps with one client id…). */
export class EmulatorOptionsError extends Error {
  override name = 'EmulatorOptionsError';
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  checkApps(options.apps);
  checkDurations(options);
  const signingKey = await createSigningKey();
  // Listen before building the apps: with port 0 the actual port, which is part of the issuer and
  // of every endpoint, is known only then. Each app's callback is taken once its routes are in place.
  // A client that stalls cannot hold a connection open for Node's default five minutes.
  const timeouts = { headersTimeout: 20_000, requestTimeout: 30_000 };
  const identityServer = http.createServer(timeouts);
  const graphServer = http.createServer(timeouts);
  const listeningAt = await listenOnLoopback(identityServer, options.port);
  const graphListeningAt = await listenOnLoopback(graphServer, options.graphPort).catch((error) => {
    identityServer.close();
    throw error;
  });
  const identityUrl = options.publicUrls?.identity ?? listeningAt;
  const graphUrl = options.publicUrls?.graph ?? graphListeningAt;
  const state = createState(options, { identityUrl, graphUrl }, signingKey);
  identityServer.on('request', createIdentityApp(state).callback());
  graphServer.on('request', createGraphApp(state).callback());

  return {
    identityUrl,
    graphUrl,
    tenantId: state.tenantId,
    issuer: state.issuer,
    graphAudience: GRAPH_APP_ID,
    users: state.directory.users.map((user) => ({ ...user })),
    tokenRequests: state.tokenRequests,
    graphRequests: state.graphRequests,
    events: state.events,
    sidOf: (cookieHeader) => ssoSessionNamedBy(state, cookieHeader)?.sid,
    applications: () =>
      state.applications
        .all()
        .map(({ appId, displayName, uniqueName }) => ({ appId, displayName, uniqueName })),
    census: () => ({
      flows: state.flows.size,
      codes: state.codes.size,
      refreshTokens: state.refreshTokens.size,
      ssoSessions: state.ssoSessions.size,
    }),
    close: async () => {
      for (const server of [identityServer, graphServer]) server.closeAllConnections();
      await Promise.all(
        [identityServer, graphServer].map((server) => once(server.close(), 'close')),
      );
    },
  };
}

/**
 * Entra refuses a second app with the same client id; so does the emulator, naming both. An API
 * permission the Graph-like API does not have is refused too: it could never be granted.
 */
function checkApps(apps: readonly AppRegistration[]): void {
  const byClientId = new Map<string, AppRegistration>();
  const known = GRAPH_PERMISSIONS.map((permission) => permission.toLowerCase());
  for (const app of apps) {
    const clientId = app.clientId.toLowerCase();
    const earlier = byClientId.get(clientId);
    if (earlier) {
      throw new EmulatorOptionsError(
        `Two apps are registered with client id ${clientId}: "${earlier.displayName}" and "${app.displayName}"`,
      );
    }
    const unknown = app.apiPermissions?.find((p) => !known.includes(p.toLowerCase()));
    if (unknown !== undefined) {
      throw new EmulatorOptionsError(
        `"${app.displayName}" lists the API permission "${unknown}": the Graph-like API has only ${GRAPH_PERMISSIONS.join(', ')}`,
      );
    }
    byClientId.set(clientId, app);
  }
}

/** Lifetimes are whole numbers of seconds above zero; the propagation delay may be zero. */
function checkDurations(options: EmulatorOptions): void {
  const durations = {
    accessTokenLifetimeSeconds: [options.accessTokenLifetimeSeconds, 1],
    caeAccessTokenLifetimeSeconds: [options.caeAccessTokenLifetimeSeconds, 1],
    criticalEventDelaySeconds: [options.criticalEventDelaySeconds, 0],
  } as const;
  for (const [name, [value, min]] of Object.entries(durations)) {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw new EmulatorOptionsError(
        `${name} must be a whole number of seconds from ${min}: ${value}`,
      );
    }
  }
}

/** Listens on the loopback interface only and returns the URL to advertise (always `localhost`). */
async function listenOnLoopback(server: http.Server, port: number): Promise<string> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}
