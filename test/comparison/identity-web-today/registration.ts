import type { SampleRegistration } from '../../../shared/sample/registration.ts';

/**
 * The ASP.NET Core tab's code as it is today, for the comparison alone: Microsoft.Identity.Web's
 * web app, registered as its templates and docs have it (the paths are ASP.NET Core's defaults),
 * its front-channel logout URL `/signout-oidc` included.
 */
export const registration = {
  name: 'identity-web-today',
  displayName: 'ASP.NET Core tab today (Microsoft.Identity.Web)',
  emulatorClientId: '10ef1bbd-7565-4393-9208-b5a83353d347',
  // Never started by a command: the comparison gives it a free port, as it does the samples.
  defaultPort: 3010,
  redirectPath: '/signin-oidc',
  postLogoutRedirectPath: '/signout-callback-oidc',
  frontChannelLogoutPath: '/signout-oidc',
  scopes: ['User.Read'],
  optionalClaims: ['sid', 'login_hint'],
} satisfies SampleRegistration;
