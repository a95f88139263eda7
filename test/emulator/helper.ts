/**
 * What the emulator's contract tests share: a tenant with three apps, an emulator per test file,
 * and the steps of the protocol spelled out (authorize URL, sign-in form, code redemption), so
 * that each test reads like the part of the spec it checks.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { ConfidentialClientApplication } from '@azure/msal-node';
import {
  type AppRegistration,
  EMULATOR_DEFAULTS,
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';
import { Browser } from '../helpers/browser.ts';

export const TENANT_ID = '0b7a5c1e-4d2f-4a8b-9c3d-6e5f4a3b2c1d';
export const PASSWORD: string = EMULATOR_DEFAULTS.password;
export const WEB: AppRegistration = {
  displayName: 'Web app',
  clientId: 'a1b2c3d4-0000-4000-8000-000000000001',
  clientSecret: 'web-secret',
  redirectUris: ['http://localhost:9/cb', 'http://localhost:9/signed-out'],
  frontChannelLogoutUrl: 'http://localhost:9/logout?app=web',
  optionalClaims: ['sid', 'login_hint'],
  apiPermissions: ['User.Read', 'User.ReadBasic.All', 'Mail.Read'],
  // For the hybrid flow's tests; the others have it off, as a new registration in Entra.
  enableIdTokenIssuance: true,
};
export const OTHER: AppRegistration = {
  displayName: 'Other app',
  clientId: 'a1b2c3d4-0000-4000-8000-000000000002',
  clientSecret: 'other-secret',
  redirectUris: ['http://localhost:9/other/cb'],
  frontChannelLogoutUrl: 'http://localhost:9/other/logout',
  optionalClaims: ['sid', 'login_hint'],
};
/** No front-channel logout URL, no optional claims, the API permissions of a new registration. */
export const SILENT: AppRegistration = {
  displayName: 'App without logout URL',
  clientId: 'a1b2c3d4-0000-4000-8000-000000000003',
  clientSecret: 'silent-secret',
  redirectUris: ['http://localhost:9/silent/cb'],
};

export function emulatorOptions(extra: Partial<EmulatorOptions> = {}): EmulatorOptions {
  return {
    port: 0,
    graphPort: 0,
    tenantId: TENANT_ID,
    password: PASSWORD,
    apps: [WEB, OTHER, SILENT],
    ...extra,
  };
}

let current: RunningEmulator | undefined;

/** Starts an emulator for the test file (on free ports) and stops it afterwards. */
export function useEmulator(): () => RunningEmulator {
  before(async () => {
    current = await startEmulator(emulatorOptions());
  });
  after(() => current?.close());
  return emulator;
}

/** The emulator of this test file. */
export function emulator(): RunningEmulator {
  return current ?? assert.fail('call useEmulator() first');
}

/** Starts another emulator for one test, and stops it whatever happens. */
export async function withEmulator(
  extra: Partial<EmulatorOptions>,
  use: (other: RunningEmulator) => Promise<void>,
): Promise<void> {
  const other = await startEmulator(emulatorOptions(extra));
  try {
    await use(other);
  } finally {
    await other.close();
  }
}

export const adele = () => emulator().users[0] ?? assert.fail('no demo users');
export const endpoint = (path: string, e = emulator()) => `${e.identityUrl}/${TENANT_ID}${path}`;

export function authorizeUrl(
  app: AppRegistration,
  parameters: Record<string, string> = {},
  e = emulator(),
) {
  const url = new URL(endpoint('/oauth2/v2.0/authorize', e));
  url.search = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: app.redirectUris[0] ?? '',
    response_type: 'code',
    scope: 'openid profile offline_access User.Read',
    state: 'state-1',
    nonce: 'nonce-1',
    client_info: '1',
    ...parameters,
  }).toString();
  return url.href;
}

/** The `name="…" value="…"` inputs of a page, HTML entities decoded. */
export function inputs(html: string): Record<string, string> {
  const decode = (value: string) =>
    value
      .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
      .replace(/&amp;/g, '&');
  const found: Record<string, string> = {};
  for (const [, name = '', value = ''] of html.matchAll(
    /<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g,
  )) {
    found[name] = decode(value);
  }
  return found;
}

/** Response bodies are read loosely: the assertions check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: JSON of any shape, checked by the assertions
export const json = (response: Response): Promise<any> => response.json();

export const isSignInForm = (html: string) => html.includes('name="passwd"');

/** The query of a redirect to the app. */
export function redirectParameters(response: Response): URLSearchParams {
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  return new URL(response.headers.get('location') ?? '').searchParams;
}

/** Opens the authorize URL, expects the form, and signs in (no redirect followed). */
export async function signIn(
  browser: Browser,
  url: string,
  login = adele().userPrincipalName,
  passwd = PASSWORD,
  e = emulator(),
) {
  const page = await browser.request(url);
  const html = await page.text();
  assert.ok(isSignInForm(html), 'expected the sign-in form');
  return browser.requestForm(endpoint('/login', e), {
    flowToken: inputs(html).flowToken ?? '',
    login,
    passwd,
  });
}

export async function redeemCode(
  app: AppRegistration,
  code: string,
  extra: Record<string, string> = {},
  e = emulator(),
) {
  return tokenRequest(
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: app.redirectUris[0] ?? '',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      ...extra,
    },
    e,
  );
}

export async function tokenRequest(
  form: Record<string, string>,
  e = emulator(),
  headers: Record<string, string> = {},
) {
  const response = await fetch(endpoint('/oauth2/v2.0/token', e), {
    method: 'POST',
    body: new URLSearchParams(form),
    headers,
  });
  return { status: response.status, headers: response.headers, body: await json(response) };
}

export function assertEntraError(body: Record<string, unknown>, error: string, code: number) {
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(
    String(body.error_description),
    new RegExp(
      `^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
    ),
  );
  assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/);
  assert.match(String(body.correlation_id), /^[0-9a-f-]{36}$/);
}

/** A full sign-in of Adele into `app` through a fresh browser; returns the browser and the tokens. */
export async function signedIn(app = WEB, browser = new Browser()) {
  const redirect = redirectParameters(await signIn(browser, authorizeUrl(app)));
  const tokens = await redeemCode(app, redirect.get('code') ?? '');
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return { browser, redirect, tokens: tokens.body };
}

/** msal-node's confidential client for `app`, against emulator `e` (its discovery document given). */
export async function msalClient(
  e: RunningEmulator,
  app: AppRegistration,
  clientCapabilities: string[] = [],
): Promise<ConfidentialClientApplication> {
  const host = new URL(e.identityUrl).host;
  const metadata = await (
    await fetch(endpoint('/v2.0/.well-known/openid-configuration', e))
  ).text();
  return new ConfidentialClientApplication({
    auth: {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      // msal wants an https authority; it is only an identifier, the endpoints come from the metadata.
      authority: `https://${host}/${TENANT_ID}`,
      knownAuthorities: [host],
      authorityMetadata: metadata,
      clientCapabilities,
    },
  });
}
