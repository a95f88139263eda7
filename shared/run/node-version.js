/**
 * Stops a command at once, with one clear line, on a Node.js older than the `engines.node` of
 * package.json (">=22.12"): every npm script that runs the project's code runs it first. Plain
 * JavaScript that any Node.js runs, and no dependency: it runs before anything is installed.
 * (`npm ci` and `npm install` refuse such a Node.js by themselves: `.npmrc` has engine-strict.)
 */
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
);
const needed = /^>=(\d+)\.(\d+)$/.exec(packageJson.engines.node);
if (!needed) throw new Error(`package.json: engines.node is not ">=major.minor"`);
const [major, minor] = [Number(needed[1]), Number(needed[2])];
const [thisMajor, thisMinor] = process.versions.node.split('.').map(Number);
if (thisMajor < major || (thisMajor === major && thisMinor < minor)) {
  console.error(`Node.js ${major}.${minor} or later is needed (this is ${process.version}).`);
  process.exit(1);
}
