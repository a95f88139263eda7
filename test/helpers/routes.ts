/**
 * Each sample's routes, as the tests drive them: the one table of them under test/.
 *
 * Every path is the original's, stated here once: where sign-in starts, the home and API pages,
 * the local sign-out (and what else a test drives), which the samples keep private to their
 * `app.ts`; and what the app registration declares (the redirect URI, the post-logout redirect
 * URI, the front-channel logout URL or none), which docs/running.md tells people to register in
 * Entra ID. This table is what the tests hold the samples to: test/samples.test.ts checks each
 * `registration.ts` against it.
 */
import type { SampleName } from '../../samples/index.ts';

export interface SampleRouteTable {
  /** Where a test starts the sign-in. */
  signIn: string;
  home: string;
  /** The page that calls the sample's API (Graph) with a token from its cache. */
  api: string;
  /** The local sign-out. */
  signOut: string;
  /** The redirect URI's path: where the identity platform sends the authorization code. */
  redirect: string;
  /** The post-logout redirect URI's path. */
  postLogout: string;
  /** The front-channel logout URL's path, or `undefined`: none registered. */
  frontChannel: string | undefined;
}

export const SAMPLE_ROUTES = {
  aspnetcore: {
    signIn: '/AzureAD/Account/SignIn',
    home: '/',
    api: '/Home/Profile',
    signOut: '/AzureAD/Account/SignOut',
    /** Where the post-logout redirect URI sends the browser on. */
    signedOut: '/AzureAD/Account/SignedOut',
    redirect: '/signin-oidc',
    postLogout: '/signout-callback-oidc',
    frontChannel: '/signout-oidc',
  },
  aspnet: {
    signIn: '/Account/SignIn',
    home: '/',
    api: '/Home/ReadMail',
    signOut: '/Account/SignOut',
    redirect: '/',
    postLogout: '/',
    frontChannel: undefined,
  },
  java: {
    signIn: '/msal4jsample/secure/aad',
    home: '/msal4jsample',
    api: '/msal4jsample/graph/users',
    signOut: '/msal4jsample/sign_out',
    redirect: '/msal4jsample/secure/aad',
    postLogout: '/msal4jsample/',
    frontChannel: '/msal4jsample/sign-out',
  },
  node: {
    signIn: '/auth/signin',
    home: '/',
    /** The page that calls Graph; the original's link goes through `/auth/acquireToken`. */
    api: '/users/profile',
    signOut: '/auth/signout',
    acquireToken: '/auth/acquireToken',
    id: '/users/id',
    redirect: '/auth/redirect',
    postLogout: '/',
    frontChannel: undefined,
  },
  python: {
    /** A page with a sign-in link; the link is `loginStart`, which redirects to the authorize endpoint. */
    signIn: '/login',
    loginStart: '/login/start',
    home: '/',
    api: '/graphcall',
    signOut: '/logout',
    redirect: '/getAToken',
    postLogout: '/',
    frontChannel: '/logout',
  },
} satisfies Record<SampleName, SampleRouteTable & Record<string, string | undefined>>;
