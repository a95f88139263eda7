/** Each sample's routes, as a test drives them: where sign-in starts, its home and API pages, its local sign-out. */
import type { SampleName } from '../../samples/index.ts';

export const SAMPLE_ROUTES: Record<
  SampleName,
  { signIn: string; home: string; api: string; signOut: string }
> = {
  aspnetcore: {
    signIn: '/AzureAD/Account/SignIn',
    home: '/',
    api: '/Home/Profile',
    signOut: '/AzureAD/Account/SignOut',
  },
  aspnet: {
    signIn: '/Account/SignIn',
    home: '/',
    api: '/Home/ReadMail',
    signOut: '/Account/SignOut',
  },
  java: {
    signIn: '/msal4jsample/secure/aad',
    home: '/msal4jsample',
    api: '/msal4jsample/graph/users',
    signOut: '/msal4jsample/sign_out',
  },
  python: { signIn: '/login', home: '/', api: '/graphcall', signOut: '/logout' },
};
