import type { SampleRegistration } from '../../shared/sample/registration.ts';

/**
 * java's app registration, as the Spring Boot + msal4j sample had it in 2019: its front-channel
 * logout URL was `/msal4jsample/sign-out`, with a hyphen, a path no route served (the sign-out
 * route is `sign_out`). The identity platform loads it when the user signs out elsewhere, and gets
 * a 404: nothing happens. Removed from the registration in November 2019.
 */
export const registration = {
  name: 'java',
  displayName: 'java (Spring Boot + msal4j)',
  emulatorClientId: 'd27f5b3a-6e1c-4a98-b0d4-93c5e8f1a76b',
  defaultPort: 3003,
  // Both the sign-in entry and the redirect URI, as in the original.
  redirectPath: '/msal4jsample/secure/aad',
  postLogoutRedirectPath: '/msal4jsample/',
  postLogoutRedirectRegistered: true,
  frontChannelLogoutPath: '/msal4jsample/sign-out',
  // The original listed the tenant's users: Graph `/v1.0/users`.
  scopes: ['User.ReadBasic.All'],
  // In the id token, as the README's Entra set-up has every registration ask: this sample reads
  // neither (only aspnetcore finds sessions by `sid` and sends `login_hint` back at sign-out).
  optionalClaims: ['sid', 'login_hint'],
} satisfies SampleRegistration;
