/**
 * docs/comparison.md, as `npm run compare -- --write` writes it: the measured matrices, and what
 * they show. The prose says only what test/comparison.test.ts asserts of the cells.
 */
import { samples } from '../../samples/index.ts';
import { identityWebToday } from './identity-web-today/app.ts';
import {
  againstOneInstance,
  againstToday,
  eras,
  MARK,
  markdownTable,
  type Reference,
  table,
} from './matrix.ts';
import type { Matrix } from './scenarios.ts';

/** Each app's registered front-channel logout URL, or "none". */
function frontChannelUrls(): string {
  return [...Object.values(samples), identityWebToday]
    .map(({ registration: { name, frontChannelLogoutPath: path } }) =>
      path ? `\`${name}\` \`${path}\`` : `\`${name}\` none`,
    )
    .join('; ');
}

/** Both matrices of one topology, each with its marked cells listed under it. */
function matrices(
  matrix: Matrix,
  reference: (era: string) => [Reference, string],
  heading: '##' | '###',
): string {
  return eras
    .map(({ era, title, rows }) => {
      const [compared, against] = reference(era);
      const measured = table(matrix, rows, compared, against);
      const as = against === 'today' ? 'in today’s browser' : `with ${against}`;
      let marked = '';
      if (measured.differences.length > 0) {
        marked = `\n\n**Bold ${MARK}**: not as ${as}. ${measured.differences.join('; ')}.`;
      } else if (against) {
        marked = `\n\nEvery cell as ${as}.`;
      }
      return `${heading} ${title}\n\n${markdownTable(measured)}${marked}`;
    })
    .join('\n\n');
}

export function page(one: Matrix, two: Matrix | undefined): string {
  const date = new Date().toISOString().slice(0, 10);
  const oneInstance = matrices(
    one,
    (era) => (era === '2019' ? [againstToday(one), 'today'] : [() => undefined, '']),
    '##',
  );
  const twoInstances = two
    ? matrices(two, () => [againstOneInstance(one), 'one instance'], '###')
    : '_Not measured: `redis-server` was not installed where this page was written._';
  return `# The samples compared, and the ASP.NET Core tab today

<!-- Written by \`npm run compare -- --write\` (test/comparison/page.ts): edit that, not this file. -->

Measured on ${date} with Node ${process.version}, against the embedded emulator, which is on
another site than the apps (\`127.0.0.1\` against \`localhost\`), as Entra's
\`login.microsoftonline.com\` is. \`npm test\` runs the same scenarios
(\`test/comparison.test.ts\`) and asserts every cell.

## Two editions of the page

The documentation page _"Web app that calls web APIs: remove accounts from the cache on global
sign-out"_ had four tabs in 2019: ASP.NET Core, ASP.NET, Java and Python. Today's has five:
ASP.NET Core, ASP.NET, Java, Node.js and Python. The five samples reproduce the tabs' code:
\`aspnetcore\`, \`aspnet\`, \`java\` and \`python\` as the 2019 page showed it, \`node\` as today's
Node.js tab points to it (Microsoft's Node sample, \`ms-identity-node\`).

Today's ASP.NET Core tab shows no code: _"Microsoft.Identity.Web takes care of implementing
sign-out for you"_, and it points to that library's source. What that code does is the last
column, \`identity-web-today\`
([test/comparison/identity-web-today/](../test/comparison/identity-web-today/)). It is
no sample: the comparison alone starts it, beside the samples, registered at the emulator as they
are.

- Its local sign-out removes the account's tokens from the cache (\`RemoveAccountAsync\`), signs
  its cookie out and goes to the identity platform's logout, as \`aspnetcore\`'s does.
- At its front-channel logout URL, \`/signout-oidc\`, ASP.NET Core's own handler signs the cookie
  out if the request carries it and its \`sid\` is the one named. Microsoft.Identity.Web adds
  nothing there: the token cache is not touched.

\`aspnetcore\`, the sample people copy, removes the user's tokens at that URL, finding them by the
\`sid\` it recorded at sign-in, with or without the cookie. No setting of it turns that off: what
the tab's code does instead is measured here, as a column of its own.

## How it is measured

Each run starts from empty caches, signs one browser in to the six apps in one SSO session, calls
each app's API, then signs out one way, or not at all (the rows):

- **local**: in the measured app itself;
- **another app**: a local sign-out in another app; the identity platform tells the measured app
  through the front-channel logout URL it registered, if it registered one;
- **browser**: _Sign out everywhere_ on the emulator's SSO page;
- **revoked**: as **browser**, then an administrator revokes the user's sessions (Graph's
  \`revokeSignInSessions\`);
- **revoked (1 h token)**: the same, with access tokens of one hour instead of 60 seconds;
- **revoked, no sign-out**, **disabled, no sign-out**, **reset, no sign-out**: nobody signs out;
  while the user is still signed in everywhere, an administrator revokes their sessions, disables
  their account, or resets their password (the emulator's page, as the admin center's buttons):
  the critical events of Continuous Access Evaluation (CAE). A sign-out is not one of them: these
  rows start from a user signed in everywhere, with tokens in every cache.
  \`aspnetcore\` declares the client capability \`cp1\` and gets CAE access tokens, of 24 hours as
  the emulator issues them; the other apps declare none and get ordinary ones, of one hour here.

The global sign-outs run in two browsers. **Today's**: the apps' cookies are \`SameSite=Lax\`,
which no browser sends into a cross-site iframe (and browsers that block third-party cookies send
none there at all), so the identity platform's front-channel iframes carry none of the apps'
cookies. **A 2019 browser**: every cookie goes everywhere, iframes included, as it did then for
cookies without \`SameSite\` (the originals' session cookies set none).

The front-channel logout URLs registered:
${frontChannelUrls()}. \`python\`'s is its local sign-out; \`java\`'s is a path no route serves
(its route is \`sign_out\`).

Each cell says what the measured app still holds and does for the user after the sign-out
(or the administrator's act):

- **in** or **out**: its session still shows the user signed in, or not;
- a number: the user's tokens left in its cache (access, refresh and id tokens; \`node\` also keeps
  a copy of the access token in the session, beside msal's cache); \`3→0\` when the API call
  dropped them (a refresh token the identity platform refuses is worth nothing: every app here
  drops the tokens of msal's cache then, not \`node\`'s copy: \`4→1\`);
- **✓** or **✗**: its API link still returns the user's data (after redirects on the app's own
  origin), or the page it led to before the sign-out does (\`node\`'s profile page, with the copy
  in the session); or the app sends the user to sign in again;
- **↻**: that call redeemed the refresh token the app had cached. Access tokens are issued for 60
  seconds, within msal's 5-minute renewal margin, so every API call after the sign-out needs the
  refresh token: ↻ shows that the identity platform's sign-out did not revoke it (refresh tokens
  last 90 days in the emulator, and in Entra until they are unused for 90 days);
- **60m** (the rows without a sign-out): the app can call the API for 60 more minutes with the
  access token it holds for the user: the latest \`exp\` of its cache (its inspector's
  \`accessTokenTimes\`), read when measured, not waited for. After that it needs its refresh
  token, which the identity platform refuses. \`aspnetcore\`, challenged, holds none.

\`out 0 ✗\` is an app that forgot the user; \`in 3 ✓↻\`, one that goes on calling the API for a user
who signed out.

${oneInstance}

![The user's tokens left in each app's cache after a local or a global sign-out, in today's browser and in a 2019 browser](comparison.svg)

## What it shows

Every app forgets the user when the sign-out starts in the app itself.

When it starts anywhere else, in today's browser, only \`aspnetcore\` does. \`aspnet\` and \`node\`
registered no front-channel logout URL, and \`java\` one that no route serves: they never hear of
the sign-out. \`python\` registered \`/logout\`, whose \`session.clear()\` drops the session and the
token cache in it — the session of the request's cookie, and there is none in the identity
platform's iframe. \`identity-web-today\`'s \`/signout-oidc\` needs that cookie too. Five apps of six
keep the user signed in with their tokens, and call the API for them with a refresh token that
still works.

In a 2019 browser the cookie arrived: \`python\` forgot the user, and \`identity-web-today\` signed
the session out but left the user's tokens in its cache, where no session reaches them. Their code
has not changed since; the browsers have.

Revoking the user's sessions stops the refresh token (AADSTS50173: the apps drop the tokens of
their cache and ask for a sign-in), but not an access token already issued: until it expires
(about an hour in Entra), the API still answers it. \`node\`'s profile page still calls the API
with the copy in its session, which the sign-in again did not drop.

An administrator's critical event, without any sign-out, stops at once only the app that
declared \`cp1\`: the Graph-like API refuses \`aspnetcore\`'s CAE token with a claims challenge
(\`401\`, \`error="insufficient_claims"\`), msal cannot meet it with the refresh token (refused:
AADSTS50173 after a revocation or a reset, AADSTS50057 for a disabled account), so the app drops
the user's tokens and sends them to sign in with the challenge's claims (a disabled account
cannot sign in: the identity platform's form says so). Its token had 24 hours to go. The apps that declared nothing hold ordinary tokens, which
the API does not evaluate: they call it for the hour their token has left, whatever the
administrator did; then the refresh token is refused. Here the events reach the Graph-like API at
once (the emulator's propagation delay is 0 by default); in Entra, within up to 15 minutes. CAE shortens the window after an administrator acts, not
after a sign-out.

## Two instances of each sample, over Redis

With \`REDIS_URL\` set, several instances of an app share their sessions, the \`sid\` index and the
token partitions of \`aspnetcore\` and \`identity-web-today\` in Redis (\`java\`, \`node\` and
\`python\` keep their caches in the session, so in Redis too). \`aspnet\` keeps its token cache in
each process, as its original's \`MemoryCache.Default\` did. Here each app runs as two instances:
the user signs in and calls the API through instance 2, and the sign-out lands on instance 1 (the
local sign-out is clicked there; the registered front-channel logout URL is instance 1's).

${twoInstances}

**What it shows.** Instances that share their state behave as one app: a sign-out that lands on
instance 1 ends the user's session for instance 2, and \`aspnetcore\`'s front-channel sign-out
removes the tokens instance 2 used. \`aspnet\` is the exception: its local sign-out ends the session
in Redis, but removes the user's tokens from instance 1's memory only. Instance 2 keeps them, out
of reach of any session, until they expire after 48 hours, or until the same user signs in again
and comes back through instance 2, which then uses them.
`;
}
