/**
 * Each sample's routes, as the tests drive them: the one table of them under test/.
 *
 * Where sign-in starts, the home and API pages, the local sign-out (and what else a test drives)
 * are the originals' routes, stated here once: the samples keep theirs private to their `app.ts`,
 * and this table is what the tests hold them to. What the app registration declares (the redirect
 * URI, the post-logout redirect URI, the front-channel logout URL or none) is taken from the
 * sample's `registration.ts`, which the sample serves and the emulator registers.
 */
import { type SampleName, samples } from '../../samples/index.ts';
import type { SampleRegistration } from '../../shared/sample/registration.ts';

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

/** The paths of a sample's app registration, with the front-channel one's type kept. */
function registered<R extends SampleRegistration>(
  registration: R,
): Pick<SampleRouteTable, 'redirect' | 'postLogout'> & {
  frontChannel: R['frontChannelLogoutPath'];
} {
  return {
    redirect: registration.redirectPath,
    postLogout: registration.postLogoutRedirectPath,
    frontChannel: registration.frontChannelLogoutPath,
  };
}

export const SAMPLE_ROUTES = {
  aspnetcore: {
    signIn: '/AzureAD/Account/SignIn',
    home: '/',
    api: '/Home/Profile',
    signOut: '/AzureAD/Account/SignOut',
    /** Where the post-logout redirect URI sends the browser on. */
    signedOut: '/AzureAD/Account/SignedOut',
    ...registered(samples.aspnetcore.registration),
  },
  aspnet: {
    signIn: '/Account/SignIn',
    home: '/',
    api: '/Home/ReadMail',
    signOut: '/Account/SignOut',
    ...registered(samples.aspnet.registration),
  },
  java: {
    signIn: '/msal4jsample/secure/aad',
    home: '/msal4jsample',
    api: '/msal4jsample/graph/users',
    signOut: '/msal4jsample/sign_out',
    ...registered(samples.java.registration),
  },
  python: {
    /** A page with a sign-in link; the link is `loginStart`, which redirects to the authorize endpoint. */
    signIn: '/login',
    loginStart: '/login/start',
    home: '/',
    api: '/graphcall',
    signOut: '/logout',
    ...registered(samples.python.registration),
  },
} satisfies Record<SampleName, SampleRouteTable & Record<string, string | undefined>>;
