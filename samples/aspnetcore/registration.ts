import type { SampleRegistration } from '../../shared/sample/registration.ts';

/**
 * aspnetcore's app registration. Like the Microsoft.Identity.Web sample, it registers a
 * front-channel logout URL: the identity platform loads it whenever the user signs out anywhere.
 */
export const registration = {
  name: 'aspnetcore',
  displayName: 'aspnetcore (Microsoft.Identity.Web)',
  emulatorClientId: '3f1b6c2e-8a4d-4e7b-9c1a-2d5e7f9a0b11',
  defaultPort: 3001,
  redirectPath: '/signin-oidc',
  postLogoutRedirectPath: '/signout-callback-oidc',
  postLogoutRedirectRegistered: true,
  frontChannelLogoutPath: '/signout-oidc',
  // The original Graph sample showed the user's profile: Graph `/me`.
  scopes: ['User.Read'],
  // In the id token: `sid` (front-channel sign-out names it), `login_hint` (sign-out sends it back).
  optionalClaims: ['sid', 'login_hint'],
  // Continuous Access Evaluation: it handles claims challenges, as an app declares with
  // Microsoft.Identity.Web's `"ClientCapabilities": [ "cp1" ]` (its `AzureAd` configuration).
  clientCapabilities: ['cp1'],
} satisfies SampleRegistration;
