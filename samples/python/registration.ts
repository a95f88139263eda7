import type { SampleRegistration } from '../../shared/sample/registration.ts';

/**
 * python's app registration, as the Flask + MSAL Python sample's README and
 * `AppCreationScripts/sample.json` had users enter it in 2019 (commit e448a22): its front-channel
 * logout URL is `/logout`, the very route of its local sign-out. The identity platform loads it in
 * a hidden cross-site iframe; what it does there depends on the browser sending the session cookie
 * into that iframe (see `sign-out.ts`). Removed from the registration in November 2019.
 */
export const registration = {
  name: 'python',
  displayName: 'python (Flask + MSAL Python)',
  emulatorClientId: '5b9e0c47-2d8a-4f61-9e3b-c7a4d2f8e019',
  defaultPort: 3004,
  redirectPath: '/getAToken',
  postLogoutRedirectPath: '/',
  postLogoutRedirectRegistered: true,
  frontChannelLogoutPath: '/logout',
  // The original listed the tenant's users: Graph `/v1.0/users`.
  scopes: ['User.ReadBasic.All'],
  // In the id token, as the README's Entra set-up has every registration ask: this sample reads
  // neither (only aspnetcore finds sessions by `sid` and sends `login_hint` back at sign-out).
  optionalClaims: ['sid', 'login_hint'],
} satisfies SampleRegistration;
