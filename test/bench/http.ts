/**
 * Requests per second over loopback, for each sample: its API route (a token from the cache, a
 * call to the Graph-like API, a page) against its cheap route (its home page), for one signed-in
 * user, with several requests at once. Everything runs on this machine: the samples, the
 * emulator, the Graph-like API and the load itself share its cores.
 */
import { type SampleName, sampleNames } from '../../samples/index.ts';
import { Browser } from '../helpers/browser.ts';
import { startSamples } from '../helpers/environment.ts';
import { type Measured, summarize } from './measure.ts';

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
  // Access tokens of an hour, as Entra's: the API route uses the cached one.
  const env = await startSamples(sampleNames, { emulator: { accessTokenLifetimeSeconds: 3600 } });
  try {
    const signedIn = new Map<SampleName, { cookie: string; api: string; cheap: string }>();
    const browser = new Browser();
    for (const [index, name] of sampleNames.entries()) {
      const sample = env.samples[name]!;
      const user = env.emulator.users[0]!.userPrincipalName;
      await browser.signIn(
        sample.url + sample.routes.links.signIn,
        ...(index === 0 ? [user, env.password] : []),
      );
      const api = sample.url + sample.routes.links.api.href;
      if ((await browser.request(api)).status !== 200) throw new Error(`${name}: API route failed`);
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
    await env.close();
  }
}

/** Requests per second: `concurrency` loops, each sending the next request when one answers. */
async function load(
  url: string,
  cookie: string,
  { seconds, concurrency }: HttpOptions,
): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let answered = 0;
  const loop = async () => {
    while (performance.now() < until) {
      const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
      answered += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return answered / ((performance.now() - started) / 1000);
}
