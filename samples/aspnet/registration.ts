import type { SampleRegistration } from '../../shared/sample/registration.ts';

/**
 * aspnet's app registration. Like the ASP.NET MVC + OWIN sample, it registers no front-channel
 * logout URL: the identity platform has nothing to load here when the user signs out elsewhere.
 */
export const registration = {
  name: 'aspnet',
  displayName: 'aspnet (ASP.NET MVC + OWIN)',
  emulatorClientId: '8c4e2a61-0f3b-4d7c-a5e9-6b1d3f0c2e84',
  defaultPort: 3002,
  // The OWIN sample used the site root as its redirect URI and as its post-logout redirect URI.
  redirectPath: '/',
  postLogoutRedirectPath: '/',
  postLogoutRedirectRegistered: true,
  frontChannelLogoutPath: undefined,
  // The original read the user's mail: Graph `/me/messages`.
  scopes: ['Mail.Read'],
  // In the id token, as the README's Entra set-up has every registration ask: this sample reads
  // neither (only aspnetcore finds sessions by `sid` and sends `login_hint` back at sign-out).
  optionalClaims: ['sid', 'login_hint'],
} satisfies SampleRegistration;
