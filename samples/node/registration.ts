import type { SampleRegistration } from '../../shared/sample/registration.ts';

/**
 * node's app registration, as Microsoft's Node sample (`Azure-Samples/ms-identity-node`, `App/`)
 * has `AppCreationScripts/sample.json` create it: one reply URL, `/auth/redirect`, and no
 * front-channel logout URL, so the identity platform never tells this app of a sign-out elsewhere.
 */
export const registration = {
  name: 'node',
  displayName: 'node (Express + msal-node)',
  emulatorClientId: '7c2e9a41-5d3b-4e86-a1f0-3b9d6c2e8f47',
  // 3000 is the landing page's, 3001–3004 the four others', 3005 aspnetcore's second instance.
  defaultPort: 3006,
  redirectPath: '/auth/redirect',
  // The original's POST_LOGOUT_REDIRECT_URI, `http://localhost:3000`, is not among its reply URLs:
  // the identity platform does not follow it, and the browser stays on its "signed out" page.
  postLogoutRedirectPath: '/',
  postLogoutRedirectRegistered: false,
  frontChannelLogoutPath: undefined,
  // Its profile page: Graph `/me`.
  scopes: ['User.Read'],
  // The original asks for no optional claim; `sid` lets the timeline and the cache inspector name
  // the identity platform session a user signed in through, as for the other samples.
  optionalClaims: ['sid', 'login_hint'],
} satisfies SampleRegistration;
