/**
 * What sign-in/sign-out churn leaves behind: for each sample, `cycles` users each sign in (a new
 * browser, the sign-in form), call the API, and sign out, locally (in the sample) or globally
 * ("Sign out everywhere" on the emulator's page, reaching the sample through its front-channel
 * logout URL, if it has one). Then: what the sample still holds (sessions, `sid` records, token
 * partitions, remembered tokens, removal markers) and how much heap the process holds after a garbage
 * collection, against before.
 *
 * Each measure runs in a process of its own (`residue-row.ts`: the samples, in memory; the
 * emulator in yet another, `samples-apart.ts`), so that the heap measured is that sample's
 * alone, and no other measure's removal markers expire meanwhile. A global sign-out does not reach
 * aspnet or node (they register no logout URL), nor java (its URL is served by no route), nor python
 * in today's browsers: what they keep then is the lesson of the comparison, and is reported, not
 * counted as residue.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type SampleName, sampleNames } from '../../samples/index.ts';
import { tag } from '../../shared/core/store/hash-slot.ts';
import { MemoryStore } from '../../shared/core/store/key-value-store.ts';
import { Browser, parseForm } from '../helpers/browser.ts';
import { cacheSummary } from '../helpers/environment.ts';
import { startSamplesApart } from './samples-apart.ts';
import { heapAfterGc } from './silent.ts';

const run = promisify(execFile);

/**
 * The samples that end the user's session when the sign-out starts elsewhere (their
 * front-channel logout URL works); the others keep it, as their 2019 originals do (the
 * comparison's lesson): what they keep after a global sign-out is theirs by design, until the
 * session expires, not residue.
 */
export const FORGETS_ON_GLOBAL_SIGN_OUT: readonly SampleName[] = ['aspnetcore'];

/** Cycles before each measure, by users of their own (see below). */
const WARM_UP_CYCLES = 20;

export interface ResidueOptions {
  /** Sign-in/sign-out cycles per sample and per kind of sign-out. */
  cycles: number;
  /** Browsers at once. */
  concurrency: number;
}

export interface ResidueRow {
  sample: SampleName;
  signOut: 'local' | 'global';
  cycles: number;
  seconds: number;
  /** Left, against before: sessions, `sid` records, every entry of both, partitions, users remembered. */
  left: { sessions: number; sids: number; entries: number; partitions: number; warmUsers: number };
  /** The removal markers alive after the cycles (each lives five minutes). */
  removalMarkers: number;
  /** Heap after a garbage collection, after the cycles, minus before, in bytes. */
  heapGrowth: number;
  /** The same, less what the removal markers left meanwhile hold (`markerBytes` each). */
  heapGrowthWithoutMarkers: number;
  /** What is left is the user's session, kept as the 2019 original keeps it (not residue). */
  keptByDesign: boolean;
}

export interface ResidueReport {
  rows: ResidueRow[];
  /** Bytes of heap one removal marker holds in a memory store (measured in the same run). */
  markerBytes: number;
}

export async function benchResidue(
  options: ResidueOptions,
  log: (line: string) => void = () => {},
): Promise<ResidueReport> {
  const markerBytes = await bytesPerMarker();
  const rows: ResidueRow[] = [];
  for (const sample of sampleNames) {
    for (const signOut of ['local', 'global'] as const) {
      log(`residue, ${sample}, ${options.cycles} cycles with a ${signOut} sign-out…`);
      const script = fileURLToPath(new URL('./residue-row.ts', import.meta.url));
      const { stdout } = await run(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', script, sample, signOut, JSON.stringify(options)],
        // Far beyond what a measure takes (10,000 cycles: some three minutes here).
        { maxBuffer: 1024 * 1024, timeout: 120_000 + options.cycles * 100 },
      );
      const row = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as MeasuredRow;
      rows.push({
        ...row,
        heapGrowthWithoutMarkers: row.heapGrowth - row.markersLeft * markerBytes,
        keptByDesign: signOut === 'global' && !FORGETS_ON_GLOBAL_SIGN_OUT.includes(sample),
      });
    }
  }
  return { rows, markerBytes };
}

/** What `residue-row.ts` measures; the rest the report works out. */
export type MeasuredRow = Omit<ResidueRow, 'heapGrowthWithoutMarkers' | 'keptByDesign'> & {
  /** Removal markers the cycles left (alive now, less those alive before). */
  markersLeft: number;
};

/** One measure, in this process: the samples here, the emulator in a process of its own. */
export async function residueRow(
  name: SampleName,
  signOut: 'local' | 'global',
  options: ResidueOptions,
): Promise<MeasuredRow> {
  // The cycles' users, and the warm-up's after them.
  const apart = await startSamplesApart({
    EMULATOR_GENERATED_USERS: String(options.cycles + WARM_UP_CYCLES),
  });
  try {
    const { project, identityUrl, password } = apart;
    const sample = project.samples.find((each) => each.name === name);
    if (!sample) throw new Error(`No sample ${name}`);
    const links = sample.routes.links;
    const cycle = async (user: number) => {
      const browser = new Browser();
      const username = `loaduser${String(user).padStart(5, '0')}@contoso.onmicrosoft.com`;
      await browser.signIn(sample.url + links.signIn, username, password);
      const api = await browser.get(sample.url + links.api.href);
      if (api.status !== 200) throw new Error(`${name}: the API route answered ${api.status}`);
      if (signOut === 'local') {
        await browser.get(sample.url + links.signOut);
      } else {
        const page = await browser.get(`${identityUrl}/`);
        const form = parseForm(page.html, page.url, (html) => html.includes('sign-out-everywhere'));
        await browser.post(form.action, form.fields);
      }
    };
    // A few cycles first, so that what is measured is what the cycles leave, not the first
    // request's code and caches.
    for (let user = 1; user <= WARM_UP_CYCLES; user += 1) await cycle(options.cycles + user);
    const before = heapAfterGc();
    const baseline = await cacheSummary(sample.url);
    const started = performance.now();
    let next = 1;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next <= options.cycles) await cycle(next++);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = await cacheSummary(sample.url);
    const heapGrowth = heapAfterGc() - before;
    return {
      sample: name,
      signOut,
      cycles: options.cycles,
      seconds,
      left: {
        sessions: after.sessions - baseline.sessions,
        sids: after.sids - baseline.sids,
        entries: after.entries - baseline.entries,
        partitions: after.accounts.length - baseline.accounts.length,
        warmUsers: (after.warmUsers ?? 0) - (baseline.warmUsers ?? 0),
      },
      removalMarkers: after.removalMarkers,
      markersLeft: after.removalMarkers - baseline.removalMarkers,
      heapGrowth,
    };
  } finally {
    await apart.close();
  }
}

/** The heap one removal marker holds: 10,000 sessions' keys removed from a memory store. */
async function bytesPerMarker(): Promise<number> {
  const store = new MemoryStore();
  const count = 10_000;
  const before = heapAfterGc();
  // Keys made here, held by the markers alone, as a removed session's key is.
  await store.remove(
    Array.from(
      { length: count },
      (_, index) =>
        `aspnetcore:session:${tag('x', `${randomBytes(32).toString('base64url')}${index}`)}`,
    ),
  );
  const bytes = (heapAfterGc() - before) / count;
  await store.close();
  return Math.max(0, Math.round(bytes));
}
