/**
 * The tenant's administrator, the Azure CLI's password grant, and Graph's application API on the
 * Graph-like API: who may register an application, Entra's rules for its properties, its secrets,
 * its service principal, and an application created at run time signing in at once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { AppRegistration } from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  assertEntraError,
  authorizeUrl,
  emulator,
  endpoint,
  PASSWORD,
  redeemCode,
  redirectParameters,
  signIn,
  tokenRequest,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

const AZURE_CLI = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const GRAPH = '00000003-0000-0000-c000-000000000000';
const USER_READ = 'e1fe6dd8-ba31-4d61-89e7-88639da4683d';
const ADMIN = 'admin@contoso.onmicrosoft.com';
const DENIED = 'Insufficient privileges to complete the operation.';

/** `az login -u … -p …`: the resource owner password grant of the Azure CLI. */
function cliToken(username: string, password = PASSWORD, extra: Record<string, string> = {}) {
  return tokenRequest({
    grant_type: 'password',
    client_id: AZURE_CLI,
    username,
    password,
    scope: 'https://graph.microsoft.com/.default openid profile offline_access',
    ...extra,
  });
}

let adminToken: string | undefined;
async function admin(): Promise<string> {
  adminToken ??= (await cliToken(ADMIN)).body.access_token as string;
  return adminToken;
}

/** A Graph-like API call; the answer's status and JSON body (if any). */
async function graph(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const token = options.token ?? (await admin());
  const response = await fetch(`${emulator().graphUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

const CREATE = { Prefer: 'create-if-missing' };

/** Upserts an application by unique name (created: 201, with it). */
async function upsert(uniqueName: string, body: Record<string, unknown>, token?: string) {
  return graph('PATCH', `/v1.0/applications(uniqueName='${uniqueName}')`, {
    token,
    body,
    headers: CREATE,
  });
}

async function created(body: Record<string, unknown> = {}) {
  const uniqueName = `app-${randomUUID()}`;
  const answer = await upsert(uniqueName, { displayName: 'Created app', ...body });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

const graphErrorOf = (answer: { body: { error: { code: string; message: string } } }) => ({
  code: answer.body.error.code,
  message: answer.body.error.message,
});

describe('the administrator and the Azure CLI password grant', () => {
  test('the administrator is in the directory, with a role; not among the sign-in page’s users', async () => {
    const users = emulator().users;
    const administrator = users.find((user) => user.userPrincipalName === ADMIN);
    assert.ok(administrator);
    assert.equal(users.indexOf(administrator), 3, 'after the three demo users');
    assert.equal(administrator.displayName, 'MOD Administrator');
    assert.match(administrator.oid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(administrator.directoryRoles, ['Global Administrator']);
    assert.ok(users.slice(0, 3).every((user) => !user.directoryRoles?.length));
    const page = await (await new Browser().request(authorizeUrl(WEB))).text();
    assert.ok(page.includes(adele().userPrincipalName));
    assert.ok(!page.includes(ADMIN), 'the sign-in page does not offer the administrator');
    const home = await (await fetch(`${emulator().identityUrl}/`)).text();
    assert.match(home, /MOD Administrator.*admin@contoso\.onmicrosoft\.com.*Global Administrator/s);
  });

  test('the administrator gets a Graph token with Application.ReadWrite.All', async () => {
    const seq =
      (await emulator().events.after(0, 0, new AbortController().signal)).at(-1)?.seq ?? 0;
    const answer = await cliToken(ADMIN);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.refresh_token, undefined);
    assert.equal(answer.body.scope, 'Application.ReadWrite.All User.Read openid profile');
    const claims = decodeJwt(answer.body.access_token);
    const administrator = emulator().users[3];
    assert.equal(claims.aud, emulator().graphAudience);
    assert.equal(claims.iss, emulator().issuer);
    assert.equal(claims.scp, 'Application.ReadWrite.All User.Read');
    assert.equal(claims.appid, AZURE_CLI);
    assert.equal(claims.oid, administrator?.oid);
    assert.equal(claims.upn, ADMIN);
    assert.equal(decodeJwt(answer.body.id_token).aud, AZURE_CLI);
    // No SSO session, and the timeline says so, without the password or a token.
    assert.equal(emulator().census().ssoSessions, 0);
    const events = await emulator().events.after(seq, 0, new AbortController().signal);
    const issued = events.find((event) => event.kind === 'tokens-issued');
    assert.equal(issued?.app, 'Microsoft Azure CLI');
    assert.equal(issued?.user, ADMIN);
    assert.ok(!JSON.stringify(events).includes(PASSWORD));
    // Its token works at the Graph-like API, as any other.
    const me = await graph('GET', '/v1.0/me', { token: answer.body.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.userPrincipalName, ADMIN);
  });

  test('refused as Entra refuses: credentials, a disabled account, other clients', async () => {
    for (const [username, password] of [
      [ADMIN, 'wrong'],
      ['nobody@contoso.onmicrosoft.com', PASSWORD],
    ] as const) {
      const answer = await cliToken(username, password);
      assert.equal(answer.status, 400);
      assertEntraError(answer.body, 'invalid_grant', 50126);
      assert.match(answer.body.error_description, /invalid username or password/);
    }
    const megan = emulator().users[2] ?? assert.fail('Megan');
    const account = (action: string) =>
      fetch(endpoint(`/users/${megan.oid}/${action}`), {
        method: 'POST',
        headers: { Accept: 'application/json' },
      });
    await account('disable');
    try {
      assertEntraError((await cliToken(megan.userPrincipalName)).body, 'invalid_grant', 50057);
    } finally {
      await account('enable');
    }
    const unknown = await cliToken(ADMIN, PASSWORD, { client_id: randomUUID() });
    assertEntraError(unknown.body, 'unauthorized_client', 700016);
    const confidential = await cliToken(ADMIN, PASSWORD, { client_id: WEB.clientId });
    assertEntraError(confidential.body, 'invalid_client', 7000218);
    const withSecret = await cliToken(ADMIN, PASSWORD, { client_secret: 'a secret' });
    assertEntraError(withSecret.body, 'invalid_client', 700025);
    const scope = await cliToken(ADMIN, PASSWORD, {
      scope: 'https://graph.microsoft.com/Mail.Read',
    });
    assertEntraError(scope.body, 'invalid_scope', 70011);
    const refused = emulator().events.after(0, 0, new AbortController().signal);
    assert.ok((await refused).some((event) => /password request refused/.test(event.text)));
  });
});

describe('Graph application API', () => {
  test('who may: the administrator’s CLI token; not a demo user’s, not a sample’s token', async () => {
    const alex = emulator().users[1]?.userPrincipalName ?? '';
    const demoUser = (await cliToken(alex)).body.access_token;
    const before = emulator().applications().length;
    const refused = await upsert('refused-app', { displayName: 'Refused' }, demoUser);
    assert.equal(refused.status, 403);
    assert.deepEqual(graphErrorOf(refused), {
      code: 'Authorization_RequestDenied',
      message: DENIED,
    });
    // The administrator, signed in to a sample: its token has User.Read only.
    const code = redirectParameters(await signIn(new Browser(), authorizeUrl(WEB), ADMIN)).get(
      'code',
    );
    const sample = (await redeemCode(WEB, code ?? '')).body.access_token;
    assert.equal(decodeJwt(sample).scp, 'User.Read');
    const alsoRefused = await upsert('refused-app', { displayName: 'Refused' }, sample);
    assert.equal(alsoRefused.status, 403);
    assert.equal(
      (await graph('GET', `/v1.0/applications/${randomUUID()}`, { token: sample })).status,
      403,
    );
    assert.equal(emulator().applications().length, before);
  });

  test('upsert by uniqueName: 201 with the application, then 204; read by any key', async () => {
    const uniqueName = `koa-sample-${randomUUID()}`;
    const first = await upsert(uniqueName, { displayName: 'Koa sample' });
    assert.equal(first.status, 201);
    const app = first.body;
    assert.match(app['@odata.context'], /\/v1\.0\/\$metadata#applications\/\$entity$/);
    assert.match(app.id, /^[0-9a-f-]{36}$/);
    assert.match(app.appId, /^[0-9a-f-]{36}$/);
    assert.equal(app.uniqueName, uniqueName);
    assert.equal(app.signInAudience, 'AzureADMyOrg');
    assert.deepEqual(app.web, {
      redirectUris: [],
      logoutUrl: null,
      homePageUrl: null,
      implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false },
    });
    assert.deepEqual(app.optionalClaims, { idToken: [], accessToken: [], saml2Token: [] });
    assert.deepEqual(
      [app.tags, app.notes, app.requiredResourceAccess, app.passwordCredentials],
      [[], null, [], []],
    );
    assert.match(app.createdDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const again = await upsert(uniqueName, {
      displayName: 'Koa sample (renamed)',
      web: { redirectUris: ['https://app.contoso.com/cb'] },
    });
    assert.equal(again.status, 204);
    assert.equal(
      emulator()
        .applications()
        .filter((a) => a.uniqueName === uniqueName).length,
      1,
    );

    const keys = [
      `/v1.0/applications/${app.id}`,
      `/v1.0/applications(uniqueName='${uniqueName}')`,
      `/v1.0/Applications(appId='${app.appId}')`,
    ];
    for (const path of keys) {
      const read = await graph('GET', path);
      assert.equal(read.status, 200, path);
      assert.equal(read.body.id, app.id);
      assert.equal(read.body.displayName, 'Koa sample (renamed)');
      assert.deepEqual(read.body.web.redirectUris, ['https://app.contoso.com/cb']);
    }
    // A complex property is replaced whole: the sub-properties not named are back at their defaults.
    assert.equal(
      (
        await graph('PATCH', keys[2] ?? '', {
          body: { web: { logoutUrl: 'https://app.contoso.com/logout' } },
        })
      ).status,
      204,
    );
    const web = (await graph('GET', keys[0] ?? '')).body.web;
    assert.deepEqual([web.redirectUris, web.logoutUrl], [[], 'https://app.contoso.com/logout']);

    // The emulator's page lists it among the registered applications.
    const home = await (await fetch(`${emulator().identityUrl}/`)).text();
    assert.ok(home.includes(app.appId));
    assert.equal((await graph('GET', `/v1.0/applications/${randomUUID()}`)).status, 404);
    const missing = await graph('PATCH', `/v1.0/applications(uniqueName='nowhere')`, {
      body: { displayName: 'x' },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'Request_ResourceNotFound');
    const nameless = await upsert(`nameless-${randomUUID()}`, { notes: 'no name' });
    assert.equal(nameless.status, 400);
    assert.match(nameless.body.error.message, /'displayName'/);
  });

  test('Entra’s rules: each refusal names the property, and changes nothing', async () => {
    const app = await created();
    const path = `/v1.0/applications/${app.id}`;
    const refusals: Array<[unknown, RegExp]> = [
      [{ web: { logoutUrl: 'http://app.contoso.com/logout' } }, /'web\.logoutUrl'/],
      [{ web: { redirectUris: ['http://app.contoso.com/cb'] } }, /'web\.redirectUris'/],
      [{ web: { redirectUris: ['https://app.contoso.com/cb#x'] } }, /'web\.redirectUris'/],
      [{ web: { redirectUris: ['/cb'] } }, /'web\.redirectUris'/],
      [{ signInAudience: 'Everyone' }, /'signInAudience'/],
      [
        {
          requiredResourceAccess: [
            { resourceAppId: GRAPH, resourceAccess: [{ id: randomUUID(), type: 'Scope' }] },
          ],
        },
        /'requiredResourceAccess\.resourceAccess\.id'/,
      ],
      [
        { requiredResourceAccess: [{ resourceAppId: randomUUID(), resourceAccess: [] }] },
        /'requiredResourceAccess\.resourceAppId'/,
      ],
      [{ displayName: 'x', color: 'blue' }, /Property 'color' does not exist/],
      [{ passwordCredentials: [] }, /'passwordCredentials'.*addPassword/],
    ];
    for (const [body, message] of refusals) {
      const answer = await graph('PATCH', path, { body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error.code, 'Request_BadRequest');
      assert.match(answer.body.error.message, message);
    }
    const loopback = {
      web: {
        redirectUris: ['http://localhost:5000/cb', 'http://127.0.0.1/cb'],
        logoutUrl: 'http://localhost:5000/logout',
      },
    };
    assert.equal((await graph('PATCH', path, { body: loopback })).status, 204);
    const stored = (await graph('GET', path)).body;
    assert.equal(stored.displayName, 'Created app');
    assert.deepEqual(stored.web.redirectUris, loopback.web.redirectUris);
    assert.equal(stored.signInAudience, 'AzureADMyOrg');
  });

  test('addPassword shows the secret once; removePassword', async () => {
    const app = await created();
    const path = `/v1.0/applications(appId='${app.appId}')`;
    const added = await graph('POST', `${path}/addPassword`, {
      body: { passwordCredential: { displayName: 'register' } },
    });
    assert.equal(added.status, 200);
    const credential = added.body;
    assert.equal(credential.secretText.length, 40);
    assert.equal(credential.hint, credential.secretText.slice(0, 3));
    assert.equal(credential.displayName, 'register');
    assert.equal(credential.customKeyIdentifier, null);
    const years =
      (Date.parse(credential.endDateTime) - Date.parse(credential.startDateTime)) /
      (365.25 * 86_400_000);
    assert.ok(Math.abs(years - 2) < 0.01, `two years by default: ${years}`);
    const listed = (await graph('GET', path)).body.passwordCredentials;
    assert.deepEqual(
      listed,
      [{ ...credential, secretText: null }].map(({ '@odata.context': _, ...rest }) => rest),
    );
    const events = await emulator().events.after(0, 0, new AbortController().signal);
    assert.ok(!JSON.stringify(events).includes(credential.secretText), 'no secret on the timeline');
    assert.ok(
      events.some(
        (event) => event.kind === 'application' && /added a client secret/.test(event.text),
      ),
    );

    const unknown = await graph('POST', `${path}/removePassword`, {
      body: { keyId: randomUUID() },
    });
    assert.equal(unknown.status, 404);
    const removed = await graph('POST', `${path}/removePassword`, {
      body: { keyId: credential.keyId },
    });
    assert.equal(removed.status, 204);
    assert.deepEqual((await graph('GET', path)).body.passwordCredentials, []);
  });

  test('a service principal: upsert 201 then 204, read, delete', async () => {
    const app = await created();
    const path = `/v1.0/servicePrincipals(appId='${app.appId}')`;
    const first = await graph('PATCH', path, { body: {}, headers: CREATE });
    assert.equal(first.status, 201);
    assert.deepEqual(
      { ...first.body, id: undefined, '@odata.context': undefined },
      {
        '@odata.context': undefined,
        id: undefined,
        appId: app.appId,
        displayName: 'Created app',
        servicePrincipalType: 'Application',
        accountEnabled: true,
        appRoleAssignmentRequired: false,
        tags: [],
      },
    );
    assert.equal((await graph('PATCH', path, { body: {}, headers: CREATE })).status, 204);
    assert.equal((await graph('GET', path)).body.id, first.body.id);
    assert.equal((await graph('GET', `/v1.0/servicePrincipals/${first.body.id}`)).status, 200);
    assert.equal((await graph('DELETE', path)).status, 204);
    assert.equal((await graph('GET', path)).status, 404);
    const again = await graph('PATCH', path, { body: {}, headers: CREATE });
    assert.equal(again.status, 201);
    assert.equal((await graph('DELETE', `/v1.0/servicePrincipals/${again.body.id}`)).status, 204);
    const orphan = await graph('PATCH', `/v1.0/servicePrincipals(appId='${randomUUID()}')`, {
      body: {},
      headers: CREATE,
    });
    assert.equal(orphan.status, 400);
    assert.match(orphan.body.error.message, /does not reference a valid application/);
  });

  test('an application created through Graph signs in at once with its secrets, until deleted', async () => {
    const redirectUri = 'http://localhost:9/registered/cb';
    const app = await created({
      web: { redirectUris: [redirectUri], logoutUrl: 'http://localhost:9/registered/logout' },
      optionalClaims: { idToken: [{ name: 'sid' }, { name: 'login_hint' }, { name: 'email' }] },
      requiredResourceAccess: [
        { resourceAppId: GRAPH, resourceAccess: [{ id: USER_READ, type: 'Scope' }] },
      ],
    });
    const path = `/v1.0/applications/${app.id}`;
    const secret = async (body: unknown = {}) => {
      const answer = await graph('POST', `${path}/addPassword`, { body });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body as { keyId: string; secretText: string };
    };
    const [first, second] = [await secret(), await secret()];
    const expired = await secret({
      passwordCredential: {
        startDateTime: '2020-01-01T00:00:00Z',
        endDateTime: '2021-01-01T00:00:00Z',
      },
    });
    const registration = (clientSecret: string): AppRegistration => ({
      displayName: 'Created app',
      clientId: app.appId,
      clientSecret,
      redirectUris: [redirectUri],
    });
    const code = async () =>
      redirectParameters(await signIn(new Browser(), authorizeUrl(registration('')))).get('code') ??
      '';

    const tokens = await redeemCode(registration(first.secretText), await code());
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const id = decodeJwt(tokens.body.id_token);
    assert.equal(id.aud, app.appId);
    assert.ok(id.sid && id.login_hint, 'the optional claims it asked for');
    assert.equal(decodeJwt(tokens.body.access_token).scp, 'User.Read');
    assert.equal((await redeemCode(registration(second.secretText), await code())).status, 200);
    const old = await redeemCode(registration(expired.secretText), await code());
    assertEntraError(old.body, 'invalid_client', 7000215);

    await graph('POST', `${path}/removePassword`, { body: { keyId: first.keyId } });
    const removed = await redeemCode(registration(first.secretText), await code());
    assert.equal(removed.status, 401);
    assertEntraError(removed.body, 'invalid_client', 7000215);

    assert.equal((await graph('DELETE', path)).status, 204);
    assert.equal((await graph('GET', path)).status, 404);
    assert.ok(
      !emulator()
        .applications()
        .some((a) => a.appId === app.appId),
    );
    const refresh = await tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token,
      client_id: app.appId,
      client_secret: second.secretText,
    });
    assertEntraError(refresh.body, 'unauthorized_client', 700016);
    const page = await new Browser().request(authorizeUrl(registration('')));
    assert.equal(page.status, 400);
    assert.match(await page.text(), /AADSTS700016: /);
    assert.equal((await graph('DELETE', path)).status, 404);
  });
});

describe('deleted items', () => {
  test('a deleted application waits in deleted items, its uniqueName taken, until deleted from there', async () => {
    const uniqueName = `deleted-${randomUUID()}`;
    const app = (await upsert(uniqueName, { displayName: 'To be deleted' })).body;
    await graph('PATCH', `/v1.0/servicePrincipals(appId='${app.appId}')`, {
      body: {},
      headers: CREATE,
    });
    const seq =
      (await emulator().events.after(0, 0, new AbortController().signal)).at(-1)?.seq ?? 0;
    assert.equal((await graph('DELETE', `/v1.0/applications(appId='${app.appId}')`)).status, 204);
    for (const path of [
      `/v1.0/applications/${app.id}`,
      `/v1.0/applications(uniqueName='${uniqueName}')`,
      `/v1.0/applications(appId='${app.appId}')`,
      `/v1.0/servicePrincipals(appId='${app.appId}')`,
    ]) {
      assert.equal((await graph('GET', path)).status, 404, path);
    }
    assert.equal(
      (await graph('PATCH', `/v1.0/applications/${app.id}`, { body: { notes: 'x' } })).status,
      404,
    );

    const item = await graph('GET', `/v1.0/directory/deletedItems/${app.id}`);
    assert.equal(item.status, 200, JSON.stringify(item.body));
    assert.match(
      item.body['@odata.context'],
      /\/v1\.0\/\$metadata#directory\/deletedItems\/\$entity$/,
    );
    assert.equal(item.body['@odata.type'], '#microsoft.graph.application');
    assert.deepEqual(
      [item.body.id, item.body.appId, item.body.uniqueName, item.body.displayName],
      [app.id, app.appId, uniqueName, 'To be deleted'],
    );
    assert.match(item.body.deletedDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(app.deletedDateTime, null, 'null while it is not deleted');

    const again = await upsert(uniqueName, { displayName: 'Again' });
    assert.equal(again.status, 400);
    assert.deepEqual(graphErrorOf(again), {
      code: 'Request_BadRequest',
      message: 'Another object with the same value for property uniqueName already exists.',
    });

    assert.equal((await graph('DELETE', `/v1.0/directory/deletedItems/${app.id}`)).status, 204);
    assert.equal((await graph('GET', `/v1.0/directory/deletedItems/${app.id}`)).status, 404);
    const purged = await graph('DELETE', `/v1.0/directory/deletedItems/${app.id}`);
    assert.equal(purged.status, 404);
    assert.equal(purged.body.error.code, 'Request_ResourceNotFound');

    const recreated = await upsert(uniqueName, { displayName: 'Again' });
    assert.equal(recreated.status, 201, JSON.stringify(recreated.body));
    assert.notEqual(recreated.body.appId, app.appId);
    assert.notEqual(recreated.body.id, app.id);

    const events = (await emulator().events.after(seq, 0, new AbortController().signal)).filter(
      (event) => event.kind === 'application',
    );
    assert.deepEqual(
      events.map((event) => /deleted items/.test(event.text)),
      [true, true, false],
      events.map((event) => event.text).join('\n'),
    );
  });

  test('deleted items: an unknown id 404; who may not, 403', async () => {
    const unknown = await graph('DELETE', `/v1.0/directory/deletedItems/${randomUUID()}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'Request_ResourceNotFound');
    assert.equal((await graph('GET', `/v1.0/directory/deletedItems/${randomUUID()}`)).status, 404);
    // An application that is not deleted is not in deleted items.
    const app = await created();
    assert.equal((await graph('GET', `/v1.0/directory/deletedItems/${app.id}`)).status, 404);
    assert.equal((await graph('DELETE', `/v1.0/directory/deletedItems/${app.id}`)).status, 404);
    assert.equal((await graph('GET', `/v1.0/applications/${app.id}`)).status, 200);

    assert.equal((await graph('DELETE', `/v1.0/applications/${app.id}`)).status, 204);
    const alex = emulator().users[1]?.userPrincipalName ?? '';
    const demoUser = (await cliToken(alex)).body.access_token;
    for (const method of ['GET', 'DELETE']) {
      const refused = await graph(method, `/v1.0/directory/deletedItems/${app.id}`, {
        token: demoUser,
      });
      assert.equal(refused.status, 403, method);
      assert.deepEqual(graphErrorOf(refused), {
        code: 'Authorization_RequestDenied',
        message: DENIED,
      });
    }
    assert.equal((await graph('GET', `/v1.0/directory/deletedItems/${app.id}`)).status, 200);
  });
});

describe('the client credentials grant', () => {
  function clientCredentials(clientId: string, clientSecret: string, scope = GRAPH_DEFAULT) {
    return tokenRequest({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope,
    });
  }
  const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';

  async function withSecret() {
    const app = await created();
    const added = await graph('POST', `/v1.0/applications/${app.id}/addPassword`, { body: {} });
    assert.equal(added.status, 200);
    return { app, secret: added.body as { keyId: string; secretText: string } };
  }

  test('a correct secret: an app-only token for Graph, no user, no permission', async () => {
    const { app, secret } = await withSecret();
    const seq =
      (await emulator().events.after(0, 0, new AbortController().signal)).at(-1)?.seq ?? 0;
    const answer = await clientCredentials(app.appId, secret.secretText);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body).sort(), [
      'access_token',
      'expires_in',
      'ext_expires_in',
      'token_type',
    ]);
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(answer.body.expires_in, 3600);
    const claims = decodeJwt(answer.body.access_token);
    assert.equal(claims.aud, GRAPH);
    assert.equal(claims.iss, emulator().issuer);
    assert.equal(claims.tid, emulator().tenantId);
    assert.equal(claims.appid, app.appId);
    assert.equal(claims.azp, app.appId);
    assert.equal(claims.idtyp, 'app');
    assert.deepEqual(claims.roles, []);
    assert.equal(claims.scp, undefined);
    assert.equal(claims.upn, undefined);
    assert.match(String(claims.oid), /^[0-9a-f-]{36}$/);
    // Stable: the same app, the same oid; with Graph's app id as the resource too.
    const byAppId = await clientCredentials(app.appId, secret.secretText, `${GRAPH}/.default`);
    assert.equal(byAppId.status, 200);
    assert.equal(decodeJwt(byAppId.body.access_token).oid, claims.oid);
    // An app of the options, with its secret.
    const options = await clientCredentials(WEB.clientId, WEB.clientSecret);
    assert.equal(options.status, 200);
    assert.equal(decodeJwt(options.body.access_token).appid, WEB.clientId);

    const events = await emulator().events.after(seq, 0, new AbortController().signal);
    const issued = events.filter((event) => event.kind === 'tokens-issued');
    assert.ok(issued.some((event) => /client credentials/.test(event.text)));
    const text = JSON.stringify(events);
    assert.ok(!text.includes(secret.secretText) && !text.includes(answer.body.access_token));

    // The Graph-like API: a valid token, with no user and no application permission.
    const me = await graph('GET', '/v1.0/me', { token: answer.body.access_token });
    assert.equal(me.status, 400);
    assert.deepEqual(graphErrorOf(me), {
      code: 'BadRequest',
      message: '/me request is only valid with delegated authentication flow.',
    });
    for (const path of [
      `/v1.0/applications(uniqueName='x')`,
      `/v1.0/applications/${app.id}`,
      '/v1.0/users',
    ]) {
      const refused = await graph('GET', path, { token: answer.body.access_token });
      assert.equal(refused.status, 403, path);
      assert.deepEqual(graphErrorOf(refused), {
        code: 'Authorization_RequestDenied',
        message: DENIED,
      });
    }
    const create = await upsert(
      `app-only-${randomUUID()}`,
      { displayName: 'x' },
      answer.body.access_token,
    );
    assert.equal(create.status, 403);
  });

  test('anything but a correct, current secret: invalid_client; scope without /.default', async () => {
    const { app, secret } = await withSecret();
    const wrong = await clientCredentials(app.appId, `${secret.secretText}x`);
    assert.equal(wrong.status, 401);
    assertEntraError(wrong.body, 'invalid_client', 7000215);
    const options = await clientCredentials(WEB.clientId, 'not-the-secret');
    assert.equal(options.status, 401);
    assertEntraError(options.body, 'invalid_client', 7000215);
    const missing = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: app.appId,
      scope: GRAPH_DEFAULT,
    });
    assertEntraError(missing.body, 'invalid_client', 7000218);

    for (const scope of [
      'https://graph.microsoft.com/User.Read',
      'User.Read',
      `${GRAPH_DEFAULT} openid`,
    ]) {
      const answer = await clientCredentials(app.appId, secret.secretText, scope);
      assert.equal(answer.status, 400, scope);
      assertEntraError(answer.body, 'invalid_scope', 1002012);
      assert.match(
        answer.body.error_description,
        /Client credential flows must have a scope value with \/\.default suffixed/,
      );
    }
    const otherResource = await clientCredentials(
      app.appId,
      secret.secretText,
      'https://api.contoso.com/.default',
    );
    assertEntraError(otherResource.body, 'invalid_resource', 500011);

    const expired = await graph('POST', `/v1.0/applications/${app.id}/addPassword`, {
      body: {
        passwordCredential: {
          startDateTime: '2020-01-01T00:00:00Z',
          endDateTime: '2021-01-01T00:00:00Z',
        },
      },
    });
    const old = await clientCredentials(app.appId, expired.body.secretText);
    assert.equal(old.status, 401);
    assertEntraError(old.body, 'invalid_client', 7000215);

    await graph('POST', `/v1.0/applications/${app.id}/removePassword`, {
      body: { keyId: secret.keyId },
    });
    const removed = await clientCredentials(app.appId, secret.secretText);
    assert.equal(removed.status, 401);
    assertEntraError(removed.body, 'invalid_client', 7000215);

    const { app: doomed, secret: doomedSecret } = await withSecret();
    assert.equal((await clientCredentials(doomed.appId, doomedSecret.secretText)).status, 200);
    assert.equal((await graph('DELETE', `/v1.0/applications/${doomed.id}`)).status, 204);
    const deleted = await clientCredentials(doomed.appId, doomedSecret.secretText);
    assertEntraError(deleted.body, 'unauthorized_client', 700016);
    const unknown = await clientCredentials(randomUUID(), 'a secret');
    assertEntraError(unknown.body, 'unauthorized_client', 700016);

    const refused = await emulator().events.after(0, 0, new AbortController().signal);
    assert.ok(refused.some((event) => /client_credentials request refused/.test(event.text)));
  });
});
