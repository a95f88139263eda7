/**
 * A sample's `registration.ts`, as Microsoft Graph's `application` resource: what `npm run
 * register` sends, field by field, so that the registration in the tenant is the one the sample
 * declares. Pure: no request is made here.
 */
import type { SampleRegistration } from '../sample/registration.ts';

/** Microsoft Graph's application id: the `resourceAppId` of its permissions. */
export const MICROSOFT_GRAPH = '00000003-0000-0000-c000-000000000000';

/**
 * The delegated Microsoft Graph permissions the samples ask for, by their ids, from Graph's
 * permissions reference (https://learn.microsoft.com/graph/permissions-reference). None of the
 * three needs an administrator's consent: each user consents for themself at their first sign-in.
 */
export const GRAPH_DELEGATED_PERMISSIONS: Readonly<Record<string, string>> = {
  'User.Read': 'e1fe6dd8-ba31-4d61-89e7-88639da4683d',
  'Mail.Read': '570282fd-fa5c-430d-a7fd-fc8dc98a9dca',
  'User.ReadBasic.All': 'b340eb25-3456-403f-be2f-af7a0d370277',
};

/**
 * The `uniqueName` the command gives a sample's application: an alternate key of the tenant, so
 * that a second run finds the app it created (and updates it) instead of creating another.
 */
export function uniqueNameOf(registration: SampleRegistration): string {
  return `msal-single-sign-out-koa-${registration.name}`;
}

/** The Graph properties of one application, as `PATCH /applications(uniqueName=…)` takes them. */
export interface ApplicationBody {
  displayName: string;
  signInAudience: 'AzureADMyOrg';
  notes: string;
  web: {
    redirectUris: string[];
    logoutUrl: string | null;
    implicitGrantSettings: { enableIdTokenIssuance: false; enableAccessTokenIssuance: false };
  };
  optionalClaims: {
    idToken: Array<{ name: string; essential: false; source: null; additionalProperties: [] }>;
    accessToken: [];
    saml2Token: [];
  };
  requiredResourceAccess: Array<{
    resourceAppId: string;
    resourceAccess: Array<{ id: string; type: 'Scope' }>;
  }>;
}

/**
 * The application a sample needs when it runs at `baseUrls` (the first its own, the others its
 * instances'): its redirect URIs (the post-logout one among them when the sample registers it),
 * its front-channel logout URL or none, its optional id token claims, its Graph permissions.
 */
export function applicationFor(
  registration: SampleRegistration,
  baseUrls: readonly string[],
): ApplicationBody {
  const [baseUrl = ''] = baseUrls;
  const redirectUris = baseUrls.flatMap((url) => [
    url + registration.redirectPath,
    ...(registration.postLogoutRedirectRegistered
      ? [url + registration.postLogoutRedirectPath]
      : []),
  ]);
  const unknown = registration.scopes.filter((scope) => !GRAPH_DELEGATED_PERMISSIONS[scope]);
  if (unknown.length > 0) {
    throw new Error(`${registration.name}: no permission id known for ${unknown.join(', ')}`);
  }
  return {
    displayName: registration.displayName,
    // One tenant's users only, like every sample's original.
    signInAudience: 'AzureADMyOrg',
    notes: `Created by npm run register for the ${registration.name} sample of msal-single-sign-out-koa; npm run unregister deletes it.`,
    web: {
      redirectUris: [...new Set(redirectUris)],
      logoutUrl: registration.frontChannelLogoutPath
        ? baseUrl + registration.frontChannelLogoutPath
        : null,
      // The samples use the authorization code flow only: no token from the authorize endpoint.
      implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false },
    },
    optionalClaims: {
      idToken: registration.optionalClaims.map((name) => ({
        name,
        essential: false,
        source: null,
        additionalProperties: [],
      })),
      accessToken: [],
      saml2Token: [],
    },
    requiredResourceAccess: [
      {
        resourceAppId: MICROSOFT_GRAPH,
        resourceAccess: registration.scopes.map((scope) => ({
          id: GRAPH_DELEGATED_PERMISSIONS[scope] as string,
          type: 'Scope' as const,
        })),
      },
    ],
  };
}
