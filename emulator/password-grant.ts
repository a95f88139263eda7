/**
 * The resource owner password grant (`grant_type=password`), for the Azure CLI only: how
 * `az login -u … -p …` gets a token, and how a program on this machine gets an administrator's
 * token for the Graph-like API's application calls (`graph-applications.ts`). The CLI is a
 * first-party public client: no secret, not in the apps list, pre-authorized in the emulated
 * tenant for `Application.ReadWrite.All` and `User.Read`. No SSO session is created, and no
 * refresh token issued.
 */
import { checkEnabled, passwordOf } from './critical-events.ts';
import { AADSTS, EntraError } from './errors.ts';
import { AZURE_CLI, parseScopesAmong, responseScope } from './scopes.ts';
import { safeEqual } from './secrets.ts';
import { clientSecretMatches, type EmulatorState, findApp, type Grant } from './state.ts';
import { accessTokenLifetime, clientInfoOf, mintAccessToken, mintIdToken } from './tokens.ts';

/** The token response; throws an {@link EntraError}, recorded on the timeline, when it refuses. */
export async function passwordGrant(
  state: EmulatorState,
  client: { id: string; secret?: string },
  form: URLSearchParams,
) {
  try {
    const grant = authenticate(state, client, form);
    const lifetime = accessTokenLifetime(state, false);
    const openid = grant.scopes.oidc.includes('openid');
    const body = {
      token_type: 'Bearer',
      scope: responseScope(grant.scopes),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: await mintAccessToken(state, grant),
      ...(openid
        ? {
            id_token: await mintIdToken(state, grant),
            client_info: clientInfoOf(grant.user.oid, state.tenantId),
          }
        : {}),
    };
    const user = grant.user.userPrincipalName;
    state.events.record({
      kind: 'tokens-issued',
      text: `${AZURE_CLI.displayName} signed ${user} in with their password (resource owner password grant): an access token for Graph (${grant.scopes.graph.join(' ')}, ${Math.round(lifetime / 60)} min)${openid ? ' and an id token' : ''}; no SSO session`,
      user,
      app: AZURE_CLI.displayName,
    });
    return body;
  } catch (error) {
    if (error instanceof EntraError) {
      const known = findApp(state, client.id)?.displayName;
      const app =
        client.id.toLowerCase() === AZURE_CLI.clientId
          ? AZURE_CLI.displayName
          : (known ?? 'an unknown client');
      // Only a user of the directory is named: a user name is whatever the request says.
      const user = state.directory.byUsername(form.get('username') ?? '')?.userPrincipalName;
      state.events.record({
        kind: 'refused',
        text: `${app}: password request refused${user ? ` for ${user}` : ''}: ${error.text}`,
        app,
        ...(user ? { user } : {}),
      });
    }
    throw error;
  }
}

function authenticate(
  state: EmulatorState,
  client: { id: string; secret?: string },
  form: URLSearchParams,
): Grant {
  if (!client.id) throw AADSTS.missingParameter('client_id');
  if (client.id.toLowerCase() !== AZURE_CLI.clientId) refuseOtherClient(state, client);
  if (client.secret) throw AADSTS.publicClientWithSecret();
  const username = form.get('username');
  if (!username) throw AADSTS.missingParameter('username');
  const password = form.get('password');
  if (!password) throw AADSTS.missingParameter('password');
  const scope = form.get('scope');
  if (!scope) throw AADSTS.missingParameter('scope');
  // The CLI is pre-authorized for its permissions: `.default`, or nothing named, means them all.
  const scopes = parseScopesAmong(scope, AZURE_CLI.graphPermissions, AZURE_CLI.graphPermissions);
  const user = state.directory.byUsername(username);
  // Compared whether the user exists or not: the time taken says nothing of which.
  const matches = safeEqual(password, user ? passwordOf(state, user) : state.password);
  if (!user || !matches) throw AADSTS.invalidCredentials();
  checkEnabled(state, user);
  return { user, clientId: AZURE_CLI.clientId, sid: '', scopes, authenticatedAt: Date.now() };
}

/**
 * Any other client: an unknown one as at every grant (AADSTS700016), a registered one without its
 * secret as Entra answers a confidential client (AADSTS7000218, AADSTS7000215). With its secret,
 * Entra would issue tokens; the emulator has the password grant for the Azure CLI only.
 */
function refuseOtherClient(state: EmulatorState, client: { id: string; secret?: string }): never {
  const app = findApp(state, client.id);
  if (!app) throw AADSTS.unknownClient(client.id, state.tenantId);
  if (!client.secret) throw AADSTS.missingClientSecret();
  if (!clientSecretMatches(state, app, client.secret)) {
    throw AADSTS.invalidClientSecret(app.clientId);
  }
  throw AADSTS.unsupportedGrantType('password');
}
