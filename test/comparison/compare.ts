/**
 * `npm run compare`: runs the comparison scenarios against all four samples, prints the measured
 * matrix, and writes it to docs/comparison.md with a chart (docs/comparison.svg). The tests run it
 * with COMPARISON_DOCS set to another folder, so that `npm run test:all` leaves docs/ as it is.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleNames } from '../../samples/index.ts';
import { startRedis } from '../helpers/redis.ts';
import { SAMPLE_ROUTES } from '../helpers/routes.ts';
import { formatMatrix, type Matrix, runComparison, type Scenario } from './scenarios.ts';

const started = performance.now();
const matrix = await runComparison();
const table = formatMatrix(matrix);
console.log(table);

// Two instances of each sample over a Redis of its own (never REDIS_URL's: it is emptied).
const redis = await startRedis({ skip() {} });
let twoInstances: string;
if (redis) {
  const measured = await runComparison({
    instances: 2,
    redisUrl: redis.url,
    flush: () => redis.flush(),
  }).finally(() => redis.close());
  twoInstances = formatMatrix(measured);
  console.log(`\nTwo instances of each sample over Redis:\n${twoInstances}`);
} else {
  twoInstances = '_Not measured: `redis-server` was not installed where this page was written._';
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`\nMeasured in ${seconds} s on Node ${process.version}.`);

const docs = process.env.COMPARISON_DOCS || fileURLToPath(new URL('../../docs/', import.meta.url));
writeFileSync(path.join(docs, 'comparison.svg'), chart(matrix));
writeFileSync(
  path.join(docs, 'comparison.md'),
  `# The four samples compared

<!-- Written by \`npm run compare\` (test/comparison/compare.ts): edit that, not this file. -->

Measured by \`npm run compare\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version},
against the embedded emulator, which is on another site than the samples (\`127.0.0.1\` against
\`localhost\`), as Entra's \`login.microsoftonline.com\` is. The same scenarios run in
\`npm run test:all\` (\`test/comparison.test.ts\`), which asserts every cell.

Each column is a sample; each run starts from empty caches, signs one browser in to all four
samples in one SSO session, calls each sample's API, then signs out one way:

- **local sign-out**: in the measured sample itself;
- **global sign-out started in another app**: local sign-out in a different sample, so that the
  identity platform tells the measured sample through the front-channel logout URL it registered;
- **global sign-out started from the browser**: *Sign out everywhere* on the emulator's SSO page.

The global sign-outs run in two browsers. **Today's**: the samples' cookies are \`SameSite=Lax\`,
which no browser sends into a cross-site iframe (and browsers that block third-party cookies send
none there at all), so the identity platform's front-channel iframes carry none of the samples'
cookies. **A 2019 browser**: every cookie goes everywhere, iframes included, as it did then for
cookies without \`SameSite\` (the originals' session cookies set none).

The front-channel logout URLs are those the originals registered in 2019: \`aspnetcore\`
\`${SAMPLE_ROUTES.aspnetcore.frontChannel}\`; \`python\` \`${SAMPLE_ROUTES.python.frontChannel}\`, its local sign-out; \`java\` \`${SAMPLE_ROUTES.java.frontChannel}\`, a path
no route serves (its route is \`sign_out\`); \`aspnet\` none.

Then, for the measured sample: is its session still signed in, how many of the user's tokens are
left in its cache (access, refresh and id tokens), does its API route still return the user's
data, and how many tokens are left after that call. Access tokens are issued for 60 seconds, within msal's 5-minute renewal margin, so every API
call after the sign-out had to redeem the cached refresh token: the last measure of each scenario
shows that the identity platform's sign-out did not revoke it (refresh tokens last 90 days in the
emulator, and in Entra until they are unused for 90 days). The last two scenarios add what an
administrator can do about it: revoke the user's sessions (Graph's \`revokeSignInSessions\`), once
with 60-second access tokens, once with one-hour ones.

${table}

![Tokens left in each sample's cache after each kind of sign-out](comparison.svg)

**What it shows.** Every sample forgets the user when the sign-out starts in the sample itself.
When it starts anywhere else, only \`aspnetcore\` does, in both browsers: it removes the user's
tokens at its front-channel logout URL, finding them by \`sid\`, with or without the cookie.
\`aspnet\` (no logout URL) and \`java\` (a logout URL no route serves) never hear of the sign-out.
\`python\` registered \`/logout\`, whose \`session.clear()\` drops the session and the token cache in it
— with the session cookie. A 2019 browser sent it, and python forgot the user; today's does not,
\`session.clear()\` clears an empty session, and python keeps the user signed in with their tokens.
That is why the documentation page's sentence about the Python sample holds today, though its code
has not changed: the browsers have.

Those who kept the tokens go on calling the API for a user who signed out everywhere, with a
refresh token that still works. Revoking the user's sessions stops the refresh token (AADSTS50173:
they drop it and ask for a sign-in), but not a cached access token: until it expires (about an hour
in Entra), the API still answers them.

## Two instances of each sample, over Redis

With \`REDIS_URL\` set, several instances of a sample share their sessions, the \`sid\` index and
aspnetcore's token partitions in Redis (java and python keep their caches in the session, so in
Redis too). aspnet keeps its token cache in each process, as its original's \`MemoryCache.Default\`
did. Here each sample runs as two instances: the user signs in and calls the API through instance
2, and the sign-out lands on instance 1 (the local sign-out is clicked there; the registered
front-channel logout URL is instance 1's).

${twoInstances}

**What it shows.** Instances that share their state behave as one app: a sign-out that lands on
instance 1 ends the user's session for instance 2, and aspnetcore's front-channel sign-out removes
the tokens instance 2 used. aspnet is the exception: its local sign-out ends the session in Redis,
but removes the user's tokens from instance 1's memory only. Instance 2 keeps them, out of reach
of any session, until they expire after 48 hours, or until the same user signs in again and comes
back through instance 2, which then uses them. Every other cell is the same as with one instance.
`,
);
console.log(`Wrote ${path.join(docs, 'comparison.md')} and ${path.join(docs, 'comparison.svg')}`);

/** A grouped bar chart: tokens left per sample, one group per kind of sign-out. */
function chart(matrix: Matrix): string {
  const groups: Array<[Scenario, string]> = [
    ['local', 'local'],
    ['another-app', 'another app, today'],
    ['browser', 'browser, today'],
    ['another-app-2019', 'another app, 2019'],
    ['browser-2019', 'browser, 2019'],
  ];
  const colors = ['#243a5e', '#3a7bd5', '#e07b39', '#5a9e4b'];
  const max =
    1 +
    Math.max(
      3,
      ...groups.flatMap(([scenario]) =>
        sampleNames.map((name) => matrix[scenario]?.[name].tokensLeft ?? 0),
      ),
    );
  const [width, height, top, bottom, left] = [860, 300, 40, 70, 50];
  const groupWidth = (width - left - 20) / groups.length;
  const barWidth = (groupWidth - 30) / sampleNames.length;
  const y = (value: number) => top + (height - top - bottom) * (1 - value / max);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    "<title>User's tokens left in each sample's cache after each kind of sign-out, in today's browser and in a 2019 browser</title>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">User's tokens left in each sample's cache after sign-out</text>`,
  ];
  for (let value = 0; value <= max; value += 1) {
    parts.push(
      `<line x1="${left}" x2="${width - 20}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>`,
    );
    parts.push(`<text x="${left - 8}" y="${y(value) + 4}" text-anchor="end">${value}</text>`);
  }
  groups.forEach(([scenario, label], group) => {
    const x0 = left + group * groupWidth + 15;
    sampleNames.forEach((name, index) => {
      const value = matrix[scenario]?.[name].tokensLeft ?? 0;
      const x = x0 + index * barWidth;
      parts.push(
        `<rect x="${x}" y="${y(value)}" width="${barWidth - 4}" height="${y(0) - y(value)}" fill="${colors[index]}"/>`,
      );
      parts.push(
        `<text x="${x + (barWidth - 4) / 2}" y="${y(value) - 4}" text-anchor="middle">${value}</text>`,
      );
    });
    parts.push(
      `<text x="${x0 + (groupWidth - 30) / 2}" y="${height - bottom + 18}" text-anchor="middle">${label}</text>`,
    );
  });
  sampleNames.forEach((name, index) => {
    const x = left + index * 150;
    parts.push(
      `<rect x="${x}" y="${height - 28}" width="12" height="12" fill="${colors[index]}"/>`,
    );
    parts.push(`<text x="${x + 18}" y="${height - 18}">${name}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
