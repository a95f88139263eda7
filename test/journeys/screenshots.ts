/**
 * `npm run screenshots`: the docs' images (docs/images/*.png), taken on the browser journeys the
 * tests run (`journeys.ts`), through `npm start` in Debian's Chromium. `--out DIR` writes them
 * elsewhere (the test does). Every journey checks its pages as it goes: a journey that fails
 * leaves the images as they were and exits with 1.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM_PATH, launchDebianChromium } from '../helpers/chromium.ts';
import {
  caeChallengeAfterRevocation,
  eachSampleSignsInAndOut,
  type Journey,
  localSignOutInPython,
  refreshTokenAfterSignOut,
  signOutEverywhere,
} from './journeys.ts';
import { npmStart } from './npm-start.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/images' } } });
const out = path.resolve(values.out ?? 'docs/images');
const staging = path.join(out, '.new');
rmSync(staging, { recursive: true, force: true }); // what an interrupted run left
mkdirSync(staging, { recursive: true });

const browser = await launchDebianChromium().catch((error: Error) => {
  console.error(
    `Chromium could not start from ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH): ${error.message}`,
  );
  process.exit(1);
});
const taken: string[] = [];
try {
  const journeys: Array<[(journey: Journey) => Promise<void>, Record<string, string>?]> = [
    [signOutEverywhere],
    [localSignOutInPython],
    [eachSampleSignsInAndOut],
    [caeChallengeAfterRevocation],
    [refreshTokenAfterSignOut, { EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS: '301' }],
  ];
  for (const [journey, env] of journeys) {
    const project = await npmStart(env);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await journey({
        project,
        context,
        shoot: async (page, name, { fullPage = true } = {}) => {
          await page.screenshot({ path: path.join(staging, `${name}.png`), fullPage });
          taken.push(name);
        },
      });
    } finally {
      await context.close();
      await project.stop();
    }
  }
} catch (error) {
  console.error('A journey failed; the images were not changed.\n', error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
if (process.exitCode !== 1) {
  for (const name of taken) {
    renameSync(path.join(staging, `${name}.png`), path.join(out, `${name}.png`));
    console.log(`wrote ${path.relative(process.cwd(), path.join(out, `${name}.png`))}`);
  }
}
rmSync(staging, { recursive: true, force: true });
