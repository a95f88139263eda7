import type { SampleRegistration } from '../../shared/sample/registration.ts';

/**
 * java's app registration. The Spring Boot + msal4j sample registered a logout URL that no route
 * served, then none (November 2019); here there is none: nothing reaches this app when the user
 * signs out elsewhere.
 */
export const registration = {
  name: 'java',
  displayName: 'java (Spring Boot + msal4j)',
  emulatorClientId: 'd27f5b3a-6e1c-4a98-b0d4-93c5e8f1a76b',
  emulatorClientSecret: 'emulator-secret-java',
  defaultPort: 3003,
  // Both the sign-in entry and the redirect URI, as in the original.
  redirectPath: '/msal4jsample/secure/aad',
  postLogoutRedirectPath: '/msal4jsample/',
  frontChannelLogoutPath: undefined,
  // The original listed the tenant's users: Graph `/v1.0/users`.
  scopes: ['User.ReadBasic.All'],
} satisfies SampleRegistration;
