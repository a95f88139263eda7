/** The OpenID Provider metadata, shaped like Entra's v2.0 document for a tenant. */
import type { EmulatorState } from './state.ts';

export function discoveryDocument(state: EmulatorState) {
  const base = `${state.identityUrl}/${state.tenantId}`;
  return {
    issuer: state.issuer,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    response_types_supported: ['code', 'code id_token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nbf',
      'nonce',
      'name',
      'preferred_username',
      'email',
      'oid',
      'tid',
      'sid',
      'login_hint',
      'ver',
    ],
    request_uri_parameter_supported: false,
    // Front-channel only: Entra sends no back-channel logout tokens.
    frontchannel_logout_supported: true,
    http_logout_supported: true,
    tenant_region_scope: 'NA',
  };
}
