/**
 * Requests per second over loopback, for each sample: its API route (a token from the cache, a
 * call to the Graph-like API, a page) against its cheap route (its home page), for one signed-in
 * user, with several requests at once. The samples run in this process, the emulator and its
 * Graph-like API in another, the load in a third. All share the machine's cores.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEMO_USERS } from '../../emulator/directory.ts';
import { type SampleName, sampleNames } from '../../samples/index.ts';
import { Browser } from '../helpers/browser.ts';
import { type Measured, summarize } from './measure.ts';
import { startSamplesApart } from './samples-apart.ts';

const run = promisify(execFile);

export interface HttpOptions {
  /** Seconds per measure. */
  seconds: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Rounds: each measures both routes of every sample once (medians and ranges over rounds). */
  rounds: number;
}

export interface HttpRow {
  sample: SampleName;
  cheap: { path: string; rps: Measured };
  api: { path: string; rps: Measured };
  /** The API route's requests per second over the cheap route's, per round. */
  ratio: Measured;
}

export async function benchHttp(
  options: HttpOptions,
  log: (line: string) => void = () => {},
): Promise<HttpRow[]> {
  // The emulator's access tokens live an hour, as Entra's: the API route uses the cached one.
  const apart = await startSamplesApart();
  try {
    const signedIn = new Map<SampleName, { cookie: string; api: string; cheap: string }>();
    const browser = new Browser();
    for (const [index, sample] of apart.project.samples.entries()) {
      const name = sample.name as SampleName;
      await browser.signIn(
        sample.url + sample.routes.links.signIn,
        ...(index === 0 ? [DEMO_USERS[0]!.userPrincipalName, apart.password] : []),
      );
      // The page that calls the API (node's link goes there through `/auth/acquireToken`).
      const answer = await browser.requestWithinOrigin(sample.url + sample.routes.links.api.href);
      if (answer.status !== 200) throw new Error(`${name}: API route failed`);
      await answer.body?.cancel();
      const api = answer.url;
      const cookie = await browser.jar.getCookieString(sample.url);
      // The home page (java's `/` redirects to it).
      const home = await fetch(`${sample.url}/`, { headers: { cookie }, redirect: 'manual' });
      const cheap = new URL(home.headers.get('location') ?? '/', sample.url).href;
      signedIn.set(name, { cookie, api, cheap });
    }
    const perRound = new Map<string, number[]>();
    for (let round = 0; round < options.rounds; round += 1) {
      for (const name of sampleNames) {
        log(`requests per second, ${name}, round ${round + 1} of ${options.rounds}…`);
        const { cookie, api, cheap } = signedIn.get(name)!;
        for (const [route, url] of [
          ['cheap', cheap],
          ['api', api],
        ] as const) {
          const rps = await load(url, cookie, options);
          const key = `${name} ${route}`;
          perRound.set(key, [...(perRound.get(key) ?? []), rps]);
        }
      }
    }
    return sampleNames.map((name) => {
      const cheap = perRound.get(`${name} cheap`)!;
      const api = perRound.get(`${name} api`)!;
      return {
        sample: name,
        cheap: { path: new URL(signedIn.get(name)!.cheap).pathname, rps: summarize(cheap) },
        api: { path: new URL(signedIn.get(name)!.api).pathname, rps: summarize(api) },
        ratio: summarize(api.map((value, round) => value / cheap[round]!)),
      };
    });
  } finally {
    await apart.close();
  }
}

/** Requests per second, from a process of its own (`http-load.ts`). */
async function load(
  url: string,
  cookie: string,
  { seconds, concurrency }: HttpOptions,
): Promise<number> {
  const script = fileURLToPath(new URL('./http-load.ts', import.meta.url));
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', script, url, String(seconds), String(concurrency)],
    { env: { ...process.env, COOKIE: cookie }, timeout: (seconds + 30) * 1000 },
  );
  const rps = Number(stdout.trim());
  if (!Number.isFinite(rps) || rps <= 0) throw new Error(`No measure for ${url}: ${stdout}`);
  return rps;
}
