/**
 * The comparison: the same scenarios driven through the five samples over real HTTP, against the
 * emulator (on another site than the samples, as Entra is), measuring what each sample still
 * knows about the user afterwards, and what it can still do for them. A sixth column is no sample:
 * `identity-web-today`, the ASP.NET Core tab's code as it is today (Microsoft.Identity.Web).
 *
 * Every run starts from nothing (a new emulator and new apps), signs one browser in to all six
 * apps in one SSO session, calls each app's API route, then signs out one way:
 * - local: in the measured app itself;
 * - another app: in a different app (global sign-out for the measured one);
 * - browser: with "Sign out everywhere" on the emulator's SSO session page;
 * in today's browser (SameSite, third-party cookies blocked: the front-channel iframes carry no
 * cookie) or in a 2019 browser (every cookie goes into every iframe, as for the originals' cookies,
 * which set no SameSite); after a sign-out from the browser, an administrator revokes the user's
 * sessions; and last, without any sign-out (the user still signed in everywhere), an administrator
 * acts on the user: revokes their sessions, disables their account, or resets their password (the
 * critical events of Continuous Access Evaluation). aspnetcore declares `cp1`: its access tokens
 * are CAE tokens (24 h), which the API refuses after the event; the others' are ordinary (1 h),
 * which it does not evaluate.
 *
 * Access tokens are issued for 60 s, inside msal's 5-minute renewal margin, so every API call
 * after the sign-out has to redeem the cached refresh token: "can still call the API" proves that
 * the identity platform's sign-out did not revoke it. One run issues them for an hour, to show
 * what a cached access token still does after the sessions are revoked.
 */

import { DEFAULT_DURATIONS } from '../../emulator/state.ts';
import { type SampleName, sampleNames } from '../../samples/index.ts';
import type { RunningSample } from '../../shared/run/orchestrator.ts';
import { Browser, type BrowserEra, parseForm } from '../helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from '../helpers/environment.ts';
import { identityWebToday } from './identity-web-today/app.ts';

interface ScenarioSpec {
  /** Its row in the matrices: a few words, unique across them. */
  row: string;
  /** What it does, in a sentence. */
  label: string;
  /** `none`: nobody signs out; an administrator acts while the user is signed in everywhere. */
  signOut: 'local' | 'another-app' | 'browser' | 'none';
  era: BrowserEra;
  /** What an administrator does to the user after the sign-out (a critical event). */
  event?: CriticalEvent;
  /** Ordinary access tokens' lifetime; CAE tokens (aspnetcore's) get the same unless `cae`. */
  accessTokenLifetimeSeconds: number;
  /** CAE tokens as the emulator issues them (24 h), not of `accessTokenLifetimeSeconds`. */
  cae?: 'emulator default';
  /** Its cells say until when the API is callable with the access token the app holds. */
  until?: boolean;
}

/** An administrator's critical events, by the emulator's endpoint that does each. */
export const criticalEvents = {
  revoke: 'revokeSignInSessions',
  disable: 'disable',
  reset: 'resetPassword',
} as const;
export type CriticalEvent = keyof typeof criticalEvents;

export const scenarios = {
  local: {
    row: 'local',
    label: 'local sign-out, in the app itself',
    signOut: 'local',
    era: 'today',
    accessTokenLifetimeSeconds: 60,
  },
  'another-app': {
    row: 'another app',
    label: 'global sign-out started in another app',
    signOut: 'another-app',
    era: 'today',
    accessTokenLifetimeSeconds: 60,
  },
  browser: {
    row: 'browser',
    label:
      'global sign-out started from the browser (_Sign out everywhere_ on the emulator’s page)',
    signOut: 'browser',
    era: 'today',
    accessTokenLifetimeSeconds: 60,
  },
  revoked: {
    row: 'revoked',
    label:
      'global sign-out from the browser, then an administrator revokes the user’s sessions; access tokens of 60 s, so the API call needs the refresh token',
    signOut: 'browser',
    era: 'today',
    event: 'revoke',
    accessTokenLifetimeSeconds: 60,
  },
  'revoked-cached': {
    row: 'revoked (1 h token)',
    label: 'the same, with access tokens of one hour: the cached one has not expired',
    signOut: 'browser',
    era: 'today',
    event: 'revoke',
    accessTokenLifetimeSeconds: 3600,
  },
  'cae-revoked': {
    row: 'revoked, no sign-out',
    label:
      'no sign-out: an administrator revokes the sessions of a user signed in everywhere; ordinary access tokens of one hour, CAE tokens (aspnetcore) of 24 hours',
    signOut: 'none',
    era: 'today',
    event: 'revoke',
    accessTokenLifetimeSeconds: 3600,
    cae: 'emulator default',
    until: true,
  },
  'cae-disabled': {
    row: 'disabled, no sign-out',
    label: 'the same, but the administrator disables the account',
    signOut: 'none',
    era: 'today',
    event: 'disable',
    accessTokenLifetimeSeconds: 3600,
    cae: 'emulator default',
    until: true,
  },
  'cae-reset': {
    row: 'reset, no sign-out',
    label: 'the same, but the administrator resets the password',
    signOut: 'none',
    era: 'today',
    event: 'reset',
    accessTokenLifetimeSeconds: 3600,
    cae: 'emulator default',
    until: true,
  },
  'another-app-2019': {
    row: 'another app (2019)',
    label: 'global sign-out started in another app, in a 2019 browser',
    signOut: 'another-app',
    era: '2019',
    accessTokenLifetimeSeconds: 60,
  },
  'browser-2019': {
    row: 'browser (2019)',
    label: 'global sign-out started from the browser, in a 2019 browser',
    signOut: 'browser',
    era: '2019',
    accessTokenLifetimeSeconds: 60,
  },
} satisfies Record<string, ScenarioSpec>;

export type Scenario = keyof typeof scenarios;
export const scenarioNames = Object.keys(scenarios) as Scenario[];
export const specOf = (scenario: Scenario): ScenarioSpec => scenarios[scenario];

/** The comparison's columns: the five samples, in tab order, then the ASP.NET Core tab today. */
export const columns = [...sampleNames, identityWebToday.registration.name] as const;
export type Column = SampleName | typeof identityWebToday.registration.name;

export interface Outcome {
  /** The app's session still shows the user as signed in. */
  signedIn: boolean;
  /** Tokens (access, refresh, id) the app's cache still holds for the user. */
  tokensLeft: number;
  /** The app's API route still returns the user's data. */
  canCallApi: boolean;
  /** Tokens left for the user after that API call (a refused refresh token drops them). */
  tokensLeftAfterApiCall: number;
  /** A refresh_token grant by this app succeeded after the sign-out. */
  refreshTokenRedeemed: boolean;
  /**
   * Scenarios that ask (`until`): whole minutes from the measure until the latest `exp` of the
   * user's access tokens the app holds after the API call (its cache inspector's times, never
   * waited for); `undefined` when it holds none, or cannot call the API.
   */
  apiCallableForMinutes?: number;
}

export type Matrix = Partial<Record<Scenario, Record<Column, Outcome>>>;

/**
 * Where the apps run. One instance each (the default, memory), or two instances of each over one
 * Redis: the user signs in and calls the API through instance 2, while the sign-out lands on
 * instance 1 (the local sign-out is clicked there, and the front-channel logout URL registered is
 * its). `flush` empties Redis before each run: a Redis of the comparison's own, never a user's.
 */
export type Topology =
  | { instances: 1 }
  | { instances: 2; redisUrl: string; flush(): Promise<void> };

/** One run: which scenario, where its sign-out starts (an app, or the browser), whom it measures. */
interface Run {
  scenario: Scenario;
  signOutIn: Column | 'browser' | 'nobody';
  measured: readonly Column[];
}

/**
 * The runs of a scenario. A local sign-out: one per app, measuring that app. A sign-out started in
 * another app: in the first app, measuring every other (each is told of it as the others are, and
 * measuring one changes nothing of another's), then in the second, measuring the first. A sign-out
 * from the browser concerns every app at once: one run.
 */
function runsOf(scenario: Scenario): Run[] {
  const [first, second, ...rest] = columns as readonly Column[] as [Column, Column, ...Column[]];
  switch (specOf(scenario).signOut) {
    case 'local':
      return columns.map((column) => ({ scenario, signOutIn: column, measured: [column] }));
    case 'another-app':
      return [
        { scenario, signOutIn: first, measured: [second, ...rest] },
        { scenario, signOutIn: second, measured: [first] },
      ];
    case 'browser':
      return [{ scenario, signOutIn: 'browser', measured: columns }];
    case 'none':
      return [{ scenario, signOutIn: 'nobody', measured: columns }];
  }
}

export async function runComparison(topology: Topology = { instances: 1 }): Promise<Matrix> {
  const matrix: Matrix = {};
  for (const each of scenarioNames.flatMap(runsOf)) {
    const outcomes = await run(each, topology);
    matrix[each.scenario] = { ...matrix[each.scenario], ...outcomes } as Record<Column, Outcome>;
  }
  return matrix;
}

/** One run: a fresh environment, sign in everywhere, sign out one way, measure `measured`. */
async function run(
  { scenario, signOutIn, measured }: Run,
  topology: Topology,
): Promise<Partial<Record<Column, Outcome>>> {
  const spec = specOf(scenario);
  if (topology.instances === 2) await topology.flush();
  const env = await startSamples(sampleNames, {
    emulator: {
      accessTokenLifetimeSeconds: spec.accessTokenLifetimeSeconds,
      ...(spec.cae
        ? { caeAccessTokenLifetimeSeconds: DEFAULT_DURATIONS.caeAccessTokenLifetimeSeconds }
        : {}),
    },
    apps: [identityWebToday],
    ...(topology.instances === 2 ? { instances: 2, env: { REDIS_URL: topology.redisUrl } } : {}),
  });
  // Where the user works, and where a sign-out lands: the same instance, or two.
  const userSide = (name: Column) => env.instances[name]!.at(-1)!;
  const signOutSide = (name: Column) => env.instances[name]![0]!;
  try {
    const user = env.emulator.users[0]!;
    const browser = new Browser(spec.era);
    // The page each app's API link led to (node's: `/users/profile`, through `/auth/acquireToken`).
    const apiPages = new Map<Column, string>();
    for (const [index, name] of columns.entries()) {
      const app = userSide(name);
      // The first sign-in fills in the form; the others ride the SSO session.
      const home = await browser.signIn(
        app.url + app.routes.links.signIn,
        ...(index === 0 ? [user.userPrincipalName, env.password] : []),
      );
      if (!home.html.includes(`id="signed-in-user">${user.userPrincipalName}<`)) {
        throw new Error(`${name}: sign-in did not complete (at ${home.url})`);
      }
      const api = await browser.get(app.url + app.routes.links.api.href);
      const onTheApp = new URL(api.url).origin === new URL(app.url).origin;
      if (api.status !== 200 || !onTheApp || !api.html.includes('<table>')) {
        throw new Error(
          `${name}: API route answered ${api.status} at ${api.url}, not the user's data`,
        );
      }
      apiPages.set(name, api.url);
    }

    if (signOutIn === 'browser') {
      const ssoPage = await browser.get(`${env.emulator.identityUrl}/`);
      const form = parseForm(ssoPage.html, ssoPage.url, (html) =>
        html.includes('sign-out-everywhere'),
      );
      await browser.post(form.action, form.fields);
    } else if (signOutIn !== 'nobody') {
      const app = signOutSide(signOutIn);
      await browser.get(app.url + app.routes.links.signOut);
    }
    if (spec.event) {
      // As an administrator would, from the emulator's page (Graph's revokeSignInSessions, …).
      const action = criticalEvents[spec.event];
      const url = `${env.emulator.identityUrl}/${env.emulator.tenantId}/users/${user.oid}/${action}`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`${action} answered ${response.status}`);
    }
    const signedOutAt = env.emulator.tokenRequests.length;

    const outcomes: Partial<Record<Column, Outcome>> = {};
    for (const name of measured) {
      outcomes[name] = await measure(env, browser, userSide(name), {
        username: user.userPrincipalName,
        signedOutAt,
        apiPage: apiPages.get(name),
        until: spec.until === true,
      });
    }
    return outcomes;
  } finally {
    await env.close();
  }
}

async function measure(
  env: TestEnvironment,
  browser: Browser,
  app: RunningSample,
  {
    username,
    signedOutAt,
    apiPage,
    until,
  }: { username: string; signedOutAt: number; apiPage?: string; until: boolean },
): Promise<Outcome> {
  const home = await browser.get(`${app.url}/`);
  const tokensBefore = await tokensLeft(app, username);
  // 200 with a table is the user's data (node's link goes there by a redirect on its own origin);
  // a redirect to the identity platform means "sign in again".
  const answers = async (url: string) => {
    const response = await browser.requestWithinOrigin(url);
    return (await response.text()).includes('<table>') && response.status === 200;
  };
  const link = app.url + app.routes.links.api.href;
  // When the link fails, the page it led to, opened directly, as from a bookmark: node's profile
  // page calls the API with the copy of the access token its session keeps, beside the cache.
  // (That copy was taken seconds before, at the API call before the sign-out: within its 60 s.)
  const canCallApi =
    (await answers(link)) ||
    (apiPage !== undefined && apiPage !== link && (await answers(apiPage)));
  const refreshTokenRedeemed = env.emulator.tokenRequests
    .slice(signedOutAt)
    .some(
      (request) =>
        request.grantType === 'refresh_token' &&
        request.ok &&
        request.clientId === app.settings.sample.clientId,
    );
  const outcome: Outcome = {
    signedIn: home.html.includes(`id="signed-in-user">${username}<`),
    tokensLeft: tokensBefore,
    canCallApi,
    tokensLeftAfterApiCall: await tokensLeft(app, username),
    refreshTokenRedeemed,
  };
  if (!until || !canCallApi) return outcome;
  const expiries = (await accountOf(app, username))?.accessTokenTimes.map((t) => t.expiresOn);
  if (!expiries || expiries.length === 0) return outcome;
  return {
    ...outcome,
    apiCallableForMinutes: Math.round((Math.max(...expiries) - Date.now()) / 60_000),
  };
}

async function accountOf(app: RunningSample, username: string) {
  return (await cacheSummary(app.url)).accounts.find((entry) => entry.username === username);
}

/** The user's tokens (access, refresh, id) in the app's cache, as its inspector counts them. */
export async function tokensLeft(app: RunningSample, username: string): Promise<number> {
  const account = await accountOf(app, username);
  return account ? account.accessTokens + account.refreshTokens + account.idTokens : 0;
}
