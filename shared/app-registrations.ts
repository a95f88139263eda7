/**
 * The samples' app registrations, in one place, as they would be entered in the Entra admin center:
 * client id, secret, redirect URIs and (for `aspnetcore` only, like the originals) a front-channel
 * logout URL. The emulator registers these at start-up; each sample takes its paths from here, so
 * a route and its registration cannot drift apart.
 *
 * The ids and secrets are the emulator's, not Entra's: against a real tenant the samples use
 * ENTRA_CLIENT_ID / ENTRA_CLIENT_SECRET (see shared/config/settings.ts).
 */
export const sampleNames = ['aspnetcore', 'aspnet', 'java', 'python'] as const;
export type SampleName = (typeof sampleNames)[number];

export interface SampleRegistration {
  displayName: string;
  clientId: string;
  clientSecret: string;
  defaultPort: number;
  /** Redirect URI path: where the identity platform sends the authorization code. */
  redirectPath: string;
  /** Where the identity platform sends the browser after sign-out (also a registered redirect URI). */
  postLogoutRedirectPath: string;
  /** Front-channel logout URL path; only samples that handle single sign-out register one. */
  frontChannelLogoutPath?: string;
}

export const sampleRegistrations: Record<SampleName, SampleRegistration> = {
  aspnetcore: {
    displayName: 'aspnetcore (Microsoft.Identity.Web)',
    clientId: '3f1b6c2e-8a4d-4e7b-9c1a-2d5e7f9a0b11',
    clientSecret: 'emulator-secret-aspnetcore',
    defaultPort: 3001,
    redirectPath: '/signin-oidc',
    postLogoutRedirectPath: '/signout-callback-oidc',
    frontChannelLogoutPath: '/signout-oidc',
  },
  aspnet: {
    displayName: 'aspnet (ASP.NET MVC + OWIN)',
    clientId: '8c4e2a61-0f3b-4d7c-a5e9-6b1d3f0c2e84',
    clientSecret: 'emulator-secret-aspnet',
    defaultPort: 3002,
    // The OWIN sample used the site root as its redirect URI and as its post-logout redirect URI.
    redirectPath: '/',
    postLogoutRedirectPath: '/',
  },
  java: {
    displayName: 'java (Spring Boot + msal4j)',
    clientId: 'd27f5b3a-6e1c-4a98-b0d4-93c5e8f1a76b',
    clientSecret: 'emulator-secret-java',
    defaultPort: 3003,
    redirectPath: '/msal4jsample/secure/aad',
    postLogoutRedirectPath: '/msal4jsample/',
  },
  python: {
    displayName: 'python (Flask + MSAL Python)',
    clientId: '5b9e0c47-2d8a-4f61-9e3b-c7a4d2f8e019',
    clientSecret: 'emulator-secret-python',
    defaultPort: 3004,
    redirectPath: '/getAToken',
    postLogoutRedirectPath: '/',
  },
};

export function isSampleName(name: string): name is SampleName {
  return (sampleNames as readonly string[]).includes(name);
}
