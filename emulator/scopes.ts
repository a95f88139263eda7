/** Scopes as Entra reads them: OpenID Connect scopes, and Graph permissions with or without prefix. */
import { GRAPH_APP_ID } from './directory.ts';
import { AADSTS } from './errors.ts';

const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** The delegated permissions of the Graph-like API. */
export const GRAPH_SCOPES = ['User.Read', 'User.ReadBasic.All', 'Mail.Read'];

/** Ways to name Graph as the resource; a scope with no resource prefix means Graph too, as in Entra. */
const GRAPH_PREFIXES = ['https://graph.microsoft.com/', `${GRAPH_APP_ID}/`];

/** A `scope` parameter understood: OpenID Connect scopes, and Graph permissions by their short names. */
export interface Scopes {
  oidc: string[];
  graph: string[];
}

/** Parses a `scope` parameter; anything this tenant does not know is `invalid_scope` (AADSTS70011). */
export function parseScopes(scope: string): Scopes {
  const oidc = new Set<string>();
  const graph = new Set<string>();
  for (const requested of scope.split(' ').filter(Boolean)) {
    const lower = requested.toLowerCase();
    if (OIDC_SCOPES.includes(lower)) {
      oidc.add(lower);
      continue;
    }
    const prefix = GRAPH_PREFIXES.find((candidate) => lower.startsWith(candidate));
    const name = prefix ? lower.slice(prefix.length) : lower;
    const permissions =
      prefix && name === '.default'
        ? GRAPH_SCOPES
        : GRAPH_SCOPES.filter((p) => p.toLowerCase() === name);
    if (permissions.length === 0) throw AADSTS.invalidScope(requested);
    for (const permission of permissions) graph.add(permission);
  }
  return { oidc: [...oidc], graph: [...graph] };
}

/** The access token's permissions; a sign-in asking for no Graph scope still gets User.Read, as in Entra. */
export function accessTokenScopes(scopes: Scopes): string[] {
  return scopes.graph.length > 0 ? scopes.graph : ['User.Read'];
}

/** The token response's `scope`: Graph permissions without their prefix, then the OIDC scopes but `offline_access`. */
export function responseScope(scopes: Scopes): string {
  const oidc = scopes.oidc.filter((scope) => scope !== 'offline_access');
  return [...accessTokenScopes(scopes), ...oidc].join(' ');
}
