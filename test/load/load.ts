/**
 * The load run of `npm run load` (and, small, of `npm run test:all`): on loopback only, against a
 * fresh emulator and aspnetcore, `users` browsers at once go through sign-in → API calls → sign-in
 * again → API call → sign-out, `rounds` times each, each as a different user; meanwhile a flood of
 * front-channel sign-out requests with random `sid`s. It stops by itself and measures what must
 * never happen: errors, users signed out by someone else's sign-out, pages showing another user's
 * data, and anything left in the sample once everyone has signed out.
 */
import { randomUUID } from 'node:crypto';
import { Browser } from '../helpers/browser.ts';
import { cacheSummary, startSamples } from '../helpers/environment.ts';
import { SAMPLE_ROUTES } from '../helpers/routes.ts';

export interface LoadOptions {
  /** Browsers at once, each a different user. */
  users: number;
  /** How many times each goes through the whole journey. */
  rounds: number;
  /** API calls per sign-in. */
  apiCalls: number;
  /** Front-channel requests with random `sid`s sent during the run. */
  frontChannelFlood: number;
}

export interface LoadReport {
  options: LoadOptions;
  seconds: number;
  /** Steps taken (a sign-in is several HTTP requests: the sample, the emulator, back). */
  steps: number;
  errors: string[];
  /** Browsers found signed out before they signed out. */
  wronglySignedOut: number;
  /** Pages that showed another user than the browser's. */
  crossUserPages: number;
  /** Per step: how many, and latency percentiles in milliseconds. */
  latency: Record<string, { count: number; p50: number; p99: number; max: number }>;
  /** What aspnetcore holds once every user has signed out. */
  left: { accounts: number; tokens: number; sessions: number; sids: number };
  /** What the emulator holds then (bounded, expiring state: SSO sessions ended, flows used). */
  emulator: { flows: number; codes: number; ssoSessions: number };
}

const routes = SAMPLE_ROUTES.aspnetcore;

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const env = await startSamples(['aspnetcore'], { emulator: { generatedUsers: options.users } });
  const started = performance.now();
  const durations = new Map<string, number[]>();
  const errors: string[] = [];
  let steps = 0;
  let wronglySignedOut = 0;
  let crossUserPages = 0;
  const base = env.sample.url;

  /** Runs one step, timing it; a page that is not 200 is an error. */
  async function step(name: string, run: () => Promise<{ status: number; html: string }>) {
    const begin = performance.now();
    const page = await run();
    const list = durations.get(name) ?? [];
    list.push(performance.now() - begin);
    durations.set(name, list);
    steps += 1;
    if (page.status !== 200) errors.push(`${name}: ${page.status}`);
    return page;
  }

  /** Who the page says is signed in, and whether it shows anyone else's data. */
  function check(html: string, username: string, expectSignedIn: boolean) {
    const shown = /id="signed-in-user">([^<]+)</.exec(html)?.[1];
    if (expectSignedIn && !shown) wronglySignedOut += 1;
    if (shown && shown !== username) crossUserPages += 1;
    const others =
      html.match(/loaduser\d{5}@contoso\.onmicrosoft\.com|\w+@contoso\.onmicrosoft\.com/g) ?? [];
    if (others.some((other) => other.toLowerCase() !== username.toLowerCase())) crossUserPages += 1;
  }

  async function journey(index: number) {
    const generated = env.emulator.users.filter((user) =>
      user.userPrincipalName.startsWith('loaduser'),
    );
    const username = generated[index]!.userPrincipalName;
    for (let round = 0; round < options.rounds; round += 1) {
      const browser = new Browser();
      const home = await step('sign-in', () =>
        browser.signIn(base + routes.signIn, username, env.password),
      );
      check(home.html, username, true);
      for (let call = 0; call < options.apiCalls; call += 1) {
        check((await step('API call', () => browser.get(base + routes.api))).html, username, true);
      }
      // Signing in again while signed in (SSO, no form): still this user.
      check(
        (await step('sign-in again', () => browser.signIn(base + routes.signIn))).html,
        username,
        true,
      );
      check((await step('API call', () => browser.get(base + routes.api))).html, username, true);
      const signedOut = await step('sign-out', () => browser.get(base + routes.signOut));
      if (/id="signed-in-user"/.test(signedOut.html)) errors.push('still signed in after sign-out');
    }
  }

  async function flood() {
    // Every answer the same, whoever's sid it names: it must tell nobody who was signed in.
    let first: string | undefined;
    for (let sent = 0; sent < options.frontChannelFlood; sent += 1) {
      const page = await step('front-channel (random sid)', async () => {
        const response = await fetch(`${base}${routes.frontChannel}?sid=${randomUUID()}`);
        return { status: response.status, html: await response.text() };
      });
      first ??= page.html;
      if (page.status !== 200) errors.push(`front-channel answered ${page.status}`);
      if (page.html !== first) errors.push('front-channel answers differ');
    }
  }

  try {
    await Promise.all([
      ...Array.from({ length: options.users }, (_, index) =>
        journey(index).catch((error: Error) => {
          errors.push(`user ${index}: ${error.message}`);
        }),
      ),
      flood(),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const summary = await cacheSummary(base);
    const census = env.emulator.census();
    return {
      options,
      seconds,
      steps,
      errors,
      wronglySignedOut,
      crossUserPages,
      latency: Object.fromEntries([...durations].map(([name, list]) => [name, percentiles(list)])),
      left: {
        accounts: summary.accounts.length,
        tokens: summary.accessTokens + summary.refreshTokens + summary.idTokens,
        sessions: summary.sessions,
        sids: summary.sids,
      },
      emulator: { flows: census.flows, codes: census.codes, ssoSessions: census.ssoSessions },
    };
  } finally {
    await env.close();
  }
}

function percentiles(list: number[]) {
  const sorted = [...list].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0) };
}

/** The report as the lines `npm run load` prints (and docs/reliability.md shows). */
export function formatReport(report: LoadReport): string {
  const { options } = report;
  const lines = [
    `${options.users} users at once × ${options.rounds} rounds (${options.apiCalls} API calls per sign-in), ` +
      `${options.frontChannelFlood} front-channel requests with random sids, against aspnetcore`,
    '',
    `| measure | value |`,
    `|---|---|`,
    `| steps (a sign-in or a sign-out is several HTTP requests) | ${report.steps} in ${report.seconds.toFixed(1)} s |`,
    `| errors | ${report.errors.length} |`,
    `| users wrongly signed out | ${report.wronglySignedOut} |`,
    `| pages showing another user | ${report.crossUserPages} |`,
    `| left in aspnetcore after everyone signed out (accounts, tokens, sessions, sids) | ${report.left.accounts}, ${report.left.tokens}, ${report.left.sessions}, ${report.left.sids} |`,
    `| left in the emulator: pending sign-ins, SSO sessions | ${report.emulator.flows}, ${report.emulator.ssoSessions} |`,
    `| kept by the emulator for 10 minutes: redeemed codes (a second redemption is refused) | ${report.emulator.codes} |`,
    '',
    '| step | count | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|',
    ...Object.entries(report.latency).map(
      ([name, { count, p50, p99, max }]) => `| ${name} | ${count} | ${p50} | ${p99} | ${max} |`,
    ),
  ];
  if (report.errors.length > 0) lines.push('', 'First errors:', ...report.errors.slice(0, 10));
  return lines.join('\n');
}
