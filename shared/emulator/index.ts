/**
 * An embedded emulator of the Microsoft identity platform v2.0 (Entra ID) and of the slice of
 * Microsoft Graph the samples call. Like Azurite for Azure Storage, it is faithful where an OpenID
 * Connect client such as msal-node can tell the difference, and small everywhere else.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../close-server.ts';
import { DEMO_USERS, GRAPH_APP_ID } from './directory.ts';
import { createGraphApp } from './graph-app.ts';
import { createIdentityApp } from './identity-app.ts';
import { createSigningKey } from './keys.ts';
import { createState } from './state.ts';

export { DEFAULT_EMULATOR_PASSWORD } from './directory.ts';

export interface AppRegistration {
  displayName: string;
  /** Lower-case GUID. */
  clientId: string;
  clientSecret: string;
  /** Matched exactly, like Entra; also the only accepted `post_logout_redirect_uri` values. */
  redirectUris: string[];
  frontChannelLogoutUrl?: string;
}

export interface EmulatorOptions {
  /** Port of the identity platform; 0 picks a free one. */
  port: number;
  /** Port of the Graph-like API; 0 picks a free one. */
  graphPort: number;
  /** Lower-case GUID. */
  tenantId: string;
  /** The one password of every demo user. */
  password: string;
  apps: AppRegistration[];
  /** Entra sends `?sid=` only; true adds `&iss=` as OIDC Front-Channel Logout 1.0 says. */
  frontChannelLogoutIncludesIss?: boolean;
  /** `expires_in` of access tokens; 3600 unless a test wants them short-lived. */
  accessTokenLifetimeSeconds?: number;
}

export interface DemoUser {
  oid: string;
  displayName: string;
  userPrincipalName: string;
  givenName: string;
  surname: string;
  jobTitle: string;
  mail: string;
}

export interface RunningEmulator {
  /** e.g. `http://localhost:4000`, with the actual port. */
  identityUrl: string;
  /** e.g. `http://localhost:4001`, with the actual port. */
  graphUrl: string;
  tenantId: string;
  /** `${identityUrl}/${tenantId}/v2.0` */
  issuer: string;
  /** `aud` of access tokens for the Graph-like API (Microsoft Graph's app id). */
  graphAudience: string;
  users: DemoUser[];
  /** What the emulator saw, for tests: one entry per token endpoint call / Graph call. */
  tokenRequests: Array<{ grantType: string; clientId: string; ok: boolean }>;
  graphRequests: Array<{ path: string; status: number; oid?: string }>;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const signingKey = await createSigningKey();
  // Listen before building the apps: with port 0 the actual port, which is part of the issuer and
  // of every endpoint, is known only then. Each app's callback is taken once its routes are in place.
  const identityServer = http.createServer();
  const graphServer = http.createServer();
  const identityUrl = await listen(identityServer, options.port);
  const graphUrl = await listen(graphServer, options.graphPort).catch((error) => {
    identityServer.close();
    throw error;
  });
  const state = createState(options, { identityUrl, graphUrl }, signingKey);
  identityServer.on('request', createIdentityApp(state).callback());
  graphServer.on('request', createGraphApp(state).callback());

  return {
    identityUrl,
    graphUrl,
    tenantId: state.tenantId,
    issuer: state.issuer,
    graphAudience: GRAPH_APP_ID,
    users: DEMO_USERS.map((user) => ({ ...user })),
    tokenRequests: state.tokenRequests,
    graphRequests: state.graphRequests,
    close: async () => {
      await Promise.all([closeServer(identityServer), closeServer(graphServer)]);
    },
  };
}

/** Listens on the loopback interface and returns the URL to advertise (always `localhost`). */
function listen(server: http.Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://localhost:${(server.address() as AddressInfo).port}`);
    });
  });
}
