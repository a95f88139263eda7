/**
 * The token `npm run register` calls Microsoft Graph with: an administrator's, for Graph, with the
 * delegated permission `Application.ReadWrite.All`. Three sources, in this order:
 *
 * - **passed in**: GRAPH_ACCESS_TOKEN (an environment variable, never a command-line argument,
 *   which any user of the machine can read in the process list);
 * - **the emulator** (`--emulator`): its administrator signs in as the Azure CLI does with
 *   `az login --username … --password …` (the password grant for the Azure CLI's client id);
 * - **the Azure CLI** otherwise: `@azure/identity`'s AzureCliCredential runs `az account
 *   get-access-token` for the account of `az login`. It is what a person who has a tenant already
 *   has; it needs no app registration of its own (there is none yet: this command makes them), keeps
 *   no secret, and leaves MFA and Conditional Access to `az login`. The library finds `az` on every
 *   platform and says clearly when it is missing or signed out.
 *
 * The token is never printed. Its tenant (`tid`) is read from it, unverified: Graph verifies it.
 */
import { AzureCliCredential, CredentialUnavailableError } from '@azure/identity';
import { decodeJwt } from 'jose';
import { fetchWithin, NoAnswer, type OutboundAnswer } from '../core/outbound.ts';

/** The Azure CLI's client id: a public client, pre-authorized for Graph in every tenant. */
export const AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/** The emulator's administrator, as Microsoft 365 demo tenants name theirs. */
export const EMULATOR_ADMINISTRATOR = 'admin@contoso.onmicrosoft.com';

export interface AdminToken {
  token: string;
  /** Where it came from, for the terminal. */
  source: string;
  /** The tenant it was issued in (`tid`), when the token says. */
  tenantId: string | undefined;
}

/** A token could not be had: the message says why and what to do. */
export class NoToken extends Error {
  override name = 'NoToken';
}

export function passedInToken(token: string): AdminToken {
  return { token, source: 'GRAPH_ACCESS_TOKEN', tenantId: tenantOf(token) };
}

/** An administrator's token from the emulator: the password grant for the Azure CLI's client id. */
export async function emulatorToken(
  emulator: { identityUrl: string; tenantId: string; password: string },
  username: string,
  timeoutMs: number,
): Promise<AdminToken> {
  const tokenUrl = `${emulator.identityUrl}/${emulator.tenantId}/oauth2/v2.0/token`;
  const form = new URLSearchParams({
    grant_type: 'password',
    client_id: AZURE_CLI_CLIENT_ID,
    username,
    password: emulator.password,
    scope: 'https://graph.microsoft.com/.default',
  });
  let answer: OutboundAnswer;
  try {
    answer = await postForm(tokenUrl, form, timeoutMs);
  } catch (error) {
    if (!(error instanceof NoAnswer)) throw error;
    throw new NoToken(
      `No emulator answers at ${emulator.identityUrl}: it ${error.reason}. Start one in another terminal with npm run emulator (with the same EMULATOR_* settings), then run this again.`,
    );
  }
  const body = parseJson(answer.text);
  if (answer.status !== 200 || typeof body.access_token !== 'string') {
    const why = typeof body.error_description === 'string' ? body.error_description : answer.text;
    throw new NoToken(
      `The emulator at ${emulator.identityUrl} gave ${username} no token (${answer.status}): ${firstLine(why)}`,
    );
  }
  return {
    token: body.access_token,
    source: `the emulator, signed in as ${username}`,
    tenantId: tenantOf(body.access_token),
  };
}

/** A token from the Azure CLI, for `graphUrl`, in `tenantId` (or the CLI's default tenant). */
export async function azureCliToken(
  graphUrl: string,
  tenantId: string | undefined,
  timeoutMs: number,
): Promise<AdminToken> {
  const credential = new AzureCliCredential({
    ...(tenantId ? { tenantId } : {}),
    processTimeoutInMs: Math.max(timeoutMs, 30_000),
  });
  try {
    const { token } = await credential.getToken(`${graphUrl}/.default`);
    return {
      token,
      source: 'the Azure CLI (az account get-access-token)',
      tenantId: tenantOf(token),
    };
  } catch (error) {
    const why = error instanceof CredentialUnavailableError ? error.message : String(error);
    const login = `az login${tenantId ? ` --tenant ${tenantId}` : ''}`;
    throw new NoToken(
      `No token from the Azure CLI: ${firstLine(why)}\nSign in with \`${login}\` as a user who may register applications, or pass a token for Microsoft Graph in GRAPH_ACCESS_TOKEN. To register in the embedded emulator instead: npm run register -- --emulator.`,
    );
  }
}

/** A form POSTed to a token endpoint, within the timeout (a {@link NoAnswer} when none came). */
export function postForm(
  tokenUrl: string,
  form: URLSearchParams,
  timeoutMs: number,
): Promise<OutboundAnswer> {
  return fetchWithin(
    tokenUrl,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    },
    { timeoutMs },
  );
}

/** The `tid` claim, read without verifying the token: only to write the tenant's id. */
function tenantOf(token: string): string | undefined {
  try {
    const { tid } = decodeJwt(token);
    return typeof tid === 'string' ? tid : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Entra's error descriptions go on with trace and correlation ids: the first line says it. */
function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? '').slice(0, 300);
}
