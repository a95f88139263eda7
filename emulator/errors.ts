import { randomUUID } from 'node:crypto';

/**
 * An error as Entra reports it: an OAuth 2.0 `error` code plus an AADSTS number and message, and
 * sometimes a `suberror` that tells a client such as msal what the user must do (`consent_required`).
 */
export class EntraError extends Error {
  constructor(
    readonly error: string,
    readonly code: number,
    message: string,
    readonly status = 400,
    readonly suberror?: string,
  ) {
    super(message);
  }

  /** `AADSTSnnnnn: message`, the first line of every Entra error description. */
  get text(): string {
    return `AADSTS${this.code}: ${this.message}`;
  }

  /** Entra's `error_description`: the text, then the ids to quote to support. */
  describe(trace: Trace): string {
    return `${this.text}\r\nTrace ID: ${trace.traceId}\r\nCorrelation ID: ${trace.correlationId}\r\nTimestamp: ${trace.timestamp}`;
  }

  /** The JSON body of an error from the token or metadata endpoints. */
  body(trace: Trace) {
    return {
      error: this.error,
      error_description: this.describe(trace),
      error_codes: [this.code],
      timestamp: trace.timestamp,
      trace_id: trace.traceId,
      correlation_id: trace.correlationId,
      ...(this.suberror ? { suberror: this.suberror } : {}),
    };
  }
}

export interface Trace {
  traceId: string;
  correlationId: string;
  timestamp: string;
}

/** Entra echoes the client's `client-request-id` as the correlation id (msal sends one). */
export function newTrace(clientRequestId?: string): Trace {
  return {
    traceId: randomUUID(),
    correlationId: clientRequestId || randomUUID(),
    timestamp: new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z'),
  };
}

const fail = (error: string, code: number, message: string, status = 400, suberror?: string) =>
  new EntraError(error, code, message, status, suberror);

const notConsentedText = (app: { clientId: string; displayName: string }) =>
  `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`;

/** The errors this emulator raises, with Entra's OAuth error, AADSTS number and wording. */
// biome-ignore format: a table, one error per line, like Entra's error code reference
export const AADSTS = {
  tenantNotFound: (tenant: string) => fail('invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`),
  missingParameter: (name: string) => fail('invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unknownClient: (clientId: string, tenant: string) => fail('unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`),
  unregisteredRedirectUri: (uri: string, clientId: string) => fail('invalid_request', 50011, `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`),
  unsupportedResponseMode: (mode: string) => fail('invalid_request', 70007, `The response_mode '${mode}' is not supported; use 'query', 'fragment' or 'form_post'.`),
  unsupportedResponseType: (type: string) => fail('unsupported_response_type', 70005, `response_type '${type}' is not enabled for the application; this emulator supports 'code' and 'code id_token'.`),
  invalidScope: (scope: string) => fail('invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid.`),
  openidScopeRequired: () => fail('invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. This emulator signs users in with OpenID Connect only: include 'openid'.`),
  unsupportedCodeChallengeMethod: (method: string) => fail('invalid_request', 501491, `Invalid code_challenge_method '${method}': use 'S256' or 'plain'.`),
  invalidCodeChallengeSize: () => fail('invalid_request', 501491, 'Invalid size of Code_Challenge parameter.'),
  idTokenNotEnabled: () => fail('unsupported_response_type', 700054, "response_type 'id_token' is not enabled for the application."),
  queryModeWithIdToken: () => fail('invalid_request', 700054, "response_mode 'query' cannot carry an id token: use 'form_post' or 'fragment' with response_type 'code id_token'."),
  loginRequired: () => fail('login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'),
  invalidCredentials: () => fail('invalid_grant', 50126, 'Error validating credentials due to invalid username or password.'),
  /** At the authorize endpoint, when Entra cannot ask the user to consent (as with prompt=none). */
  consentRequired: (app: { clientId: string; displayName: string }) => fail('consent_required', 65001, notConsentedText(app)),
  /** At the token endpoint: msal raises it as InteractionRequiredAuthError, subError consent_required. */
  consentRequiredForGrant: (app: { clientId: string; displayName: string }) => fail('invalid_grant', 65001, notConsentedText(app), 400, 'consent_required'),
  userCancelled: () => fail('access_denied', 65004, 'User declined to consent to access the app.'),
  queryStringTooLong: () => fail('invalid_request', 90015, 'Requested query string is too long.'),
  flowTokenExpired: () => fail('invalid_request', 50089, 'Authentication failed due to flow token expired. Start the sign-in again from the application.'),
  missingClientSecret: () => fail('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", 401),
  /** A secret sent by a public client (the Azure CLI's password grant). */
  publicClientWithSecret: () => fail('invalid_client', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.", 401),
  invalidClientSecret: (clientId: string) => fail('invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`, 401),
  /** The client credentials grant's `scope`: one resource's `/.default`. */
  clientCredentialsScope: (scope: string) => fail('invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`),
  resourceNotFound: (resource: string, tenant: string) => fail('invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`),
  unsupportedGrantType: (grantType: string) => fail('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`),
  codeExpired: () => fail('invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'),
  codeAlreadyRedeemed: () => fail('invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'),
  grantIssuedToAnotherClient: () => fail('invalid_grant', 70000, 'Provided grant is invalid or malformed. It was issued to another application.'),
  redirectUriDiffersFromAuthorize: (uri: string) => fail('invalid_grant', 50011, `The redirect URI '${uri}' specified in the request does not match the redirect URI of the authorization request that issued the code.`),
  codeVerifierMismatch: () => fail('invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'),
  /** An HTTP error a request caused (413, 400, 405…), in Entra's shape; `undefined` for any other error. */
  badRequest: (error: unknown) => {
    const { status, expose, message } = error as { status?: number; expose?: boolean; message?: string };
    if (typeof status !== 'number' || status >= 500 || !expose) return undefined;
    return fail('invalid_request', 9002313, `Invalid request. Request is malformed or invalid: ${message ?? ''}`, status);
  },
  sessionsRevoked: (issuedAt: number, validFrom: number) => fail('invalid_grant', 50173, `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(issuedAt).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date(validFrom).toISOString()}'.`),
  /** A disabled account, at the sign-in form and for its codes and refresh tokens. */
  userDisabled: () => fail('invalid_grant', 50057, 'The user account is disabled.'),
  /** A `claims` parameter that is not a JSON object of claims requests (or is too long). */
  invalidClaims: (why: string) => fail('invalid_request', 9002313, `Invalid request. Request is malformed or invalid: the 'claims' parameter (${why}).`),
  malformedRefreshToken: () => fail('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'),
};
