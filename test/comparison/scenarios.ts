/**
 * The comparison: the same scenarios driven through all four samples over real HTTP, against the
 * emulator, measuring what each sample still knows about the user afterwards.
 *
 * Every run starts from nothing (a new emulator and new samples), signs one browser in to all four
 * samples in one SSO session, calls each sample's API route, then signs out one way:
 * - local: in the measured sample itself;
 * - another app: in a different sample (global sign-out for the measured one);
 * - browser: with "Sign out everywhere" on the emulator's SSO session page.
 * Access tokens are issued for 60 s, inside msal's 5-minute renewal margin, so every API call
 * after sign-out has to redeem the cached refresh token: "can still call the API" proves that the
 * identity platform's sign-out did not revoke it.
 */

import { type SampleName, sampleNames } from '../../samples/index.ts';
import { Browser, parseForm } from '../helpers/browser.ts';
import { cacheSummary, startSamples, type TestEnvironment } from '../helpers/environment.ts';

export type SignOutKind = 'local' | 'another-app' | 'browser';

export const signOutKinds: Record<SignOutKind, string> = {
  local: 'local sign-out (in the sample itself)',
  'another-app': 'global sign-out started in another app',
  browser: 'global sign-out started from the browser (emulator page)',
};

export interface Outcome {
  /** The sample's session still shows the user as signed in. */
  signedIn: boolean;
  /** Tokens (access, refresh, id) the sample's cache still holds for the user. */
  tokensLeft: number;
  /** The sample's API route still returns the user's data. */
  canCallApi: boolean;
  /** A refresh_token grant by this sample succeeded after the sign-out. */
  refreshTokenRedeemed: boolean;
}

export type Matrix = Record<SignOutKind, Record<SampleName, Outcome>>;

/** The sample whose sign-out is "another app" for `sample`: the next one in the list. */
function anotherApp(sample: SampleName): SampleName {
  return sampleNames[(sampleNames.indexOf(sample) + 1) % sampleNames.length] as SampleName;
}

export async function runComparison(): Promise<Matrix> {
  const matrix = {} as Matrix;
  for (const kind of Object.keys(signOutKinds) as SignOutKind[]) {
    matrix[kind] = {} as Record<SampleName, Outcome>;
    if (kind === 'browser') {
      // One sign-out from the browser concerns every sample at once.
      Object.assign(matrix[kind], await run(kind, sampleNames));
    } else {
      for (const sample of sampleNames) Object.assign(matrix[kind], await run(kind, [sample]));
    }
  }
  return matrix;
}

/** One run: a fresh environment, sign in everywhere, sign out one way, measure `measured`. */
async function run(kind: SignOutKind, measured: readonly SampleName[]) {
  const env = await startSamples(sampleNames, { emulator: { accessTokenLifetimeSeconds: 60 } });
  try {
    const user = env.emulator.users[0]!;
    const password = env.password;
    const browser = new Browser();
    for (const [index, name] of sampleNames.entries()) {
      const sample = env.samples[name]!;
      // The first sign-in fills in the form; the others ride the SSO session.
      const home = await browser.signIn(
        sample.url + sample.routes.links.signIn,
        ...(index === 0 ? [user.userPrincipalName, password] : []),
      );
      if (!home.html.includes(`id="signed-in-user">${user.userPrincipalName}<`)) {
        throw new Error(`${name}: sign-in did not complete (at ${home.url})`);
      }
      const api = await browser.get(sample.url + sample.routes.links.api.href);
      if (api.status !== 200) throw new Error(`${name}: API route answered ${api.status}`);
    }

    const [first] = measured as [SampleName];
    if (kind === 'local')
      await browser.get(env.samples[first]!.url + env.samples[first]!.routes.links.signOut);
    if (kind === 'another-app') {
      const other = env.samples[anotherApp(first)]!;
      await browser.get(other.url + other.routes.links.signOut);
    }
    if (kind === 'browser') {
      const ssoPage = await browser.get(`${env.emulator.identityUrl}/`);
      const form = parseForm(ssoPage.html, ssoPage.url, (html) =>
        html.includes('sign-out-everywhere'),
      );
      await browser.post(form.action, form.fields);
    }
    const signedOutAt = env.emulator.tokenRequests.length;

    const outcomes = {} as Record<SampleName, Outcome>;
    for (const name of measured)
      outcomes[name] = await measure(env, browser, name, user.userPrincipalName, signedOutAt);
    return outcomes;
  } finally {
    await env.close();
  }
}

async function measure(
  env: TestEnvironment,
  browser: Browser,
  name: SampleName,
  username: string,
  signedOutAt: number,
): Promise<Outcome> {
  const sample = env.samples[name]!;
  const home = await browser.get(`${sample.url}/`);
  const account = (await cacheSummary(sample.url)).accounts.find(
    (entry) => entry.username === username,
  );
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
    tokensLeft: account ? account.accessTokens + account.refreshTokens + account.idTokens : 0,
    canCallApi: api.status === 200 && apiBody.includes('<table>'),
    refreshTokenRedeemed,
  };
}

/** The matrix as a Markdown table: one row per sign-out kind and measure, one column per sample. */
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
      "app's refresh token redeemed after sign-out",
      (outcome) => yesNo(outcome.refreshTokenRedeemed),
    ],
  ];
  const lines = [
    `| after… | ${sampleNames.join(' | ')} |`,
    `|---|${sampleNames.map(() => '---').join('|')}|`,
  ];
  for (const kind of Object.keys(signOutKinds) as SignOutKind[]) {
    for (const [label, show] of measures) {
      lines.push(
        `| ${signOutKinds[kind]}: ${label} | ${sampleNames.map((name) => show(matrix[kind][name])).join(' | ')} |`,
      );
    }
  }
  return lines.join('\n');
}
