/**
 * The comparison: the same scenarios driven through all four samples over real HTTP, against the
 * emulator (on another site than the samples, as Entra is), measuring what each sample still
 * knows about the user afterwards, and what it can still do for them.
 *
 * Every run starts from nothing (a new emulator and new samples), signs one browser in to all four
 * samples in one SSO session, calls each sample's API route, then signs out one way:
 * - local: in the measured sample itself;
 * - another app: in a different sample (global sign-out for the measured one);
 * - browser: with "Sign out everywhere" on the emulator's SSO session page;
 * in today's browser (SameSite, third-party cookies blocked: the front-channel iframes carry no
 * cookie) or in a 2019 browser (every cookie goes into every iframe, as for the originals' cookies,
 * which set no SameSite); and last, after a sign-out from the browser, an administrator revokes the
 * user's sessions.
 *
 * Access tokens are issued for 60 s, inside msal's 5-minute renewal margin, so every API call
 * after the sign-out has to redeem the cached refresh token: "can still call the API" proves that
 * the identity platform's sign-out did not revoke it. One run issues them for an hour, to show
 * what a cached access token still does after the sessions are revoked.
 */

import { type SampleName, sampleNames } from '../../samples/index.ts';
import type { RunningSample } from '../../shared/run/orchestrator.ts';
import { Browser, type BrowserEra, parseForm } from '../helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from '../helpers/environment.ts';

interface ScenarioSpec {
  label: string;
  signOut: 'local' | 'another-app' | 'browser';
  era: BrowserEra;
  /** An administrator revokes the user's sessions after the sign-out. */
  revoke?: boolean;
  accessTokenLifetimeSeconds: number;
}

export const scenarios = {
  local: {
    label: 'local sign-out (in the sample itself)',
    signOut: 'local',
    era: 'today',
    accessTokenLifetimeSeconds: 60,
  },
  'another-app': {
    label: 'global sign-out started in another app, in today’s browser',
    signOut: 'another-app',
    era: 'today',
    accessTokenLifetimeSeconds: 60,
  },
  browser: {
    label: 'global sign-out started from the browser (emulator page), in today’s browser',
    signOut: 'browser',
    era: 'today',
    accessTokenLifetimeSeconds: 60,
  },
  'another-app-2019': {
    label: 'global sign-out started in another app, in a 2019 browser',
    signOut: 'another-app',
    era: '2019',
    accessTokenLifetimeSeconds: 60,
  },
  'browser-2019': {
    label: 'global sign-out started from the browser, in a 2019 browser',
    signOut: 'browser',
    era: '2019',
    accessTokenLifetimeSeconds: 60,
  },
  revoked: {
    label:
      'global sign-out from the browser, then the user’s sessions revoked (access tokens of 60 s: each call needs the refresh token)',
    signOut: 'browser',
    era: 'today',
    revoke: true,
    accessTokenLifetimeSeconds: 60,
  },
  'revoked-cached': {
    label: 'the same, with access tokens of one hour (the cached one has not expired)',
    signOut: 'browser',
    era: 'today',
    revoke: true,
    accessTokenLifetimeSeconds: 3600,
  },
} satisfies Record<string, ScenarioSpec>;

export type Scenario = keyof typeof scenarios;

export interface Outcome {
  /** The sample's session still shows the user as signed in. */
  signedIn: boolean;
  /** Tokens (access, refresh, id) the sample's cache still holds for the user. */
  tokensLeft: number;
  /** The sample's API route still returns the user's data. */
  canCallApi: boolean;
  /** Tokens left for the user after that API call (a refused refresh token drops them). */
  tokensLeftAfterApiCall: number;
  /** A refresh_token grant by this sample succeeded after the sign-out. */
  refreshTokenRedeemed: boolean;
}

export type Matrix = Partial<Record<Scenario, Record<SampleName, Outcome>>>;

/**
 * Where the samples run. One instance each (the default, memory), or two instances of each over one
 * Redis: the user signs in and calls the API through instance 2, while the sign-out lands on
 * instance 1 (the local sign-out is clicked there, and the front-channel logout URL registered is
 * its). `flush` empties Redis before each run: a Redis of the comparison's own, never a user's.
 */
export type Topology =
  | { instances: 1 }
  | { instances: 2; redisUrl: string; flush(): Promise<void> };

/** The sample whose sign-out is "another app" for `sample`: the next one in the list. */
function anotherApp(sample: SampleName): SampleName {
  return sampleNames[(sampleNames.indexOf(sample) + 1) % sampleNames.length] as SampleName;
}

export async function runComparison(topology: Topology = { instances: 1 }): Promise<Matrix> {
  const matrix: Matrix = {};
  for (const name of Object.keys(scenarios) as Scenario[]) {
    const spec: ScenarioSpec = scenarios[name];
    const outcomes = {} as Record<SampleName, Outcome>;
    if (spec.signOut === 'browser') {
      // One sign-out from the browser concerns every sample at once.
      Object.assign(outcomes, await run(spec, sampleNames, topology));
    } else {
      for (const sample of sampleNames)
        Object.assign(outcomes, await run(spec, [sample], topology));
    }
    matrix[name] = outcomes;
  }
  return matrix;
}

/** One run: a fresh environment, sign in everywhere, sign out one way, measure `measured`. */
async function run(spec: ScenarioSpec, measured: readonly SampleName[], topology: Topology) {
  if (topology.instances === 2) await topology.flush();
  const env = await startSamples(sampleNames, {
    emulator: { accessTokenLifetimeSeconds: spec.accessTokenLifetimeSeconds },
    ...(topology.instances === 2 ? { instances: 2, env: { REDIS_URL: topology.redisUrl } } : {}),
  });
  // Where the user works, and where a sign-out lands: the same instance, or two.
  const userSide = (name: SampleName) => env.instances[name]!.at(-1)!;
  const signOutSide = (name: SampleName) => env.instances[name]![0]!;
  try {
    const user = env.emulator.users[0]!;
    const browser = new Browser(spec.era);
    for (const [index, name] of sampleNames.entries()) {
      const sample = userSide(name);
      // The first sign-in fills in the form; the others ride the SSO session.
      const home = await browser.signIn(
        sample.url + sample.routes.links.signIn,
        ...(index === 0 ? [user.userPrincipalName, env.password] : []),
      );
      if (!home.html.includes(`id="signed-in-user">${user.userPrincipalName}<`)) {
        throw new Error(`${name}: sign-in did not complete (at ${home.url})`);
      }
      const api = await browser.get(sample.url + sample.routes.links.api.href);
      if (api.status !== 200) throw new Error(`${name}: API route answered ${api.status}`);
    }

    const [first] = measured as [SampleName];
    if (spec.signOut === 'local') {
      const sample = signOutSide(first);
      await browser.get(sample.url + sample.routes.links.signOut);
    }
    if (spec.signOut === 'another-app') {
      const other = signOutSide(anotherApp(first));
      await browser.get(other.url + other.routes.links.signOut);
    }
    if (spec.signOut === 'browser') {
      const ssoPage = await browser.get(`${env.emulator.identityUrl}/`);
      const form = parseForm(ssoPage.html, ssoPage.url, (html) =>
        html.includes('sign-out-everywhere'),
      );
      await browser.post(form.action, form.fields);
    }
    if (spec.revoke) {
      // As an administrator would, with Graph's revokeSignInSessions.
      const revoke = `${env.emulator.identityUrl}/${env.emulator.tenantId}/users/${user.oid}/revokeSignInSessions`;
      const response = await fetch(revoke, {
        method: 'POST',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`revokeSignInSessions answered ${response.status}`);
    }
    const signedOutAt = env.emulator.tokenRequests.length;

    const outcomes = {} as Record<SampleName, Outcome>;
    for (const name of measured) {
      outcomes[name] = await measure(
        env,
        browser,
        userSide(name),
        user.userPrincipalName,
        signedOutAt,
      );
    }
    return outcomes;
  } finally {
    await env.close();
  }
}

async function measure(
  env: TestEnvironment,
  browser: Browser,
  sample: RunningSample,
  username: string,
  signedOutAt: number,
): Promise<Outcome> {
  const home = await browser.get(`${sample.url}/`);
  const tokensLeft = async () => {
    const account = (await cacheSummary(sample.url)).accounts.find(
      (entry) => entry.username === username,
    );
    return account ? account.accessTokens + account.refreshTokens + account.idTokens : 0;
  };
  const tokensBefore = await tokensLeft();
  // No redirect followed: 200 is the user's data; a redirect means "sign in again".
  const api = await browser.request(sample.url + sample.routes.links.api.href);
  const apiBody = await api.text();
  const refreshTokenRedeemed = env.emulator.tokenRequests
    .slice(signedOutAt)
    .some(
      (request) =>
        request.grantType === 'refresh_token' &&
        request.ok &&
        request.clientId === sample.settings.sample.clientId,
    );
  return {
    signedIn: home.html.includes(`id="signed-in-user">${username}<`),
    tokensLeft: tokensBefore,
    canCallApi: api.status === 200 && apiBody.includes('<table>'),
    tokensLeftAfterApiCall: await tokensLeft(),
    refreshTokenRedeemed,
  };
}

/** The matrix as a Markdown table: one row per scenario and measure, one column per sample. */
export function formatMatrix(matrix: Matrix): string {
  const yesNo = (value: boolean) => (value ? '**yes**' : 'no');
  const measures: Array<[string, (outcome: Outcome) => string]> = [
    ['app session still signed in', (outcome) => yesNo(outcome.signedIn)],
    [
      "user's tokens left in the app's cache",
      (outcome) => (outcome.tokensLeft ? `**${outcome.tokensLeft}**` : '0'),
    ],
    ['app can still call the API for the user', (outcome) => yesNo(outcome.canCallApi)],
    [
      "user's tokens left after that API call",
      (outcome) => (outcome.tokensLeftAfterApiCall ? `**${outcome.tokensLeftAfterApiCall}**` : '0'),
    ],
    [
      "app's refresh token redeemed after sign-out",
      (outcome) => yesNo(outcome.refreshTokenRedeemed),
    ],
  ];
  const lines = [
    `| after… | ${sampleNames.join(' | ')} |`,
    `|---|${sampleNames.map(() => '---').join('|')}|`,
  ];
  for (const [scenario, outcomes] of Object.entries(matrix) as Array<
    [Scenario, Record<SampleName, Outcome>]
  >) {
    for (const [label, show] of measures) {
      lines.push(
        `| ${scenarios[scenario].label}: ${label} | ${sampleNames.map((name) => show(outcomes[name])).join(' | ')} |`,
      );
    }
  }
  return lines.join('\n');
}
