/**
 * shared/config/schema.ts, the declaration of every environment variable, against what reads it
 * and what describes it: the settings read exactly the variables it declares, in the modes it
 * says; each default is a value of its type; docs/configuration.md's table of variables is the
 * one `npm run docs:config` writes from it; and `.env.example` names only variables it declares.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { allSamples } from '../samples/index.ts';
import {
  ConfigurationError,
  type Environment,
  EnvironmentReader,
  readEnvironment,
} from '../shared/config/environment.ts';
import {
  type ProjectVariableName,
  type SampleVariableName,
  type Variable,
  variables,
} from '../shared/config/schema.ts';
import { loadSettings } from '../shared/config/settings.ts';
import { END, START, variablesTable, withVariablesTable } from './configuration/variables-table.ts';
import { Command } from './helpers/command.ts';

const registrations = allSamples.map((sample) => sample.registration);
const declared = variables as readonly Variable[];
const docsPage = new URL('../docs/configuration.md', import.meta.url);

/** A variable's name as declared: `ASPNETCORE_PORT` is `<SAMPLE>_PORT`. */
function declaredName(name: string): string {
  const sample = registrations.find((registration) =>
    name.startsWith(`${registration.name.toUpperCase()}_`),
  );
  return sample ? name.replace(sample.name.toUpperCase(), '<SAMPLE>') : name;
}

/** The variables `loadSettings` looks at in `env`, by their declared names. */
function variablesRead(env: Environment): Set<string> {
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(declaredName(name));
      return target[name as string];
    },
  });
  try {
    loadSettings(registrations, watched, { landing: true });
  } catch (error) {
    // The Entra ID environment below has no credentials: every variable is read all the same.
    if (!(error instanceof ConfigurationError)) throw error;
  }
  return read;
}

test('the settings read exactly the variables the schema declares, each in the mode it says', () => {
  const inEmulatorMode = variablesRead({});
  const inEntraMode = variablesRead({ ENTRA_TENANT_ID: 'contoso.onmicrosoft.com' });
  const modeOf = (name: string) => {
    // ENTRA_TENANT_ID is looked at in both, to choose: it is Entra ID mode's.
    if (name === 'ENTRA_TENANT_ID') return 'entra';
    if (inEmulatorMode.has(name) && inEntraMode.has(name)) return 'both';
    if (inEmulatorMode.has(name)) return 'emulator';
    return inEntraMode.has(name) ? 'entra' : 'never read';
  };
  const read = [...new Set([...inEmulatorMode, ...inEntraMode])].sort();
  // ENV_FILE is read from process.env itself, by readEnvironment (the next test).
  const settingsVariables = declared.filter((variable) => variable.name !== 'ENV_FILE');
  assert.deepEqual(read, settingsVariables.map((variable) => variable.name).sort());
  assert.deepEqual(
    settingsVariables.map((variable) => `${variable.name}: ${modeOf(variable.name)}`),
    settingsVariables.map((variable) => `${variable.name}: ${variable.mode}`),
  );
});

test('ENV_FILE names the file read under the environment, which must exist', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'env-file-')), 'settings.env');
  writeFileSync(file, 'EMULATOR_PORT=4100\nENV_FILE_TEST_ONLY=from the file\n');
  const before = process.env.ENV_FILE;
  try {
    process.env.ENV_FILE = ` ${file} `;
    assert.equal(readEnvironment().ENV_FILE_TEST_ONLY, 'from the file');
    process.env.ENV_FILE = `${file}.missing`;
    assert.throws(readEnvironment, {
      name: 'ConfigurationError',
      problems: [`ENV_FILE: there is no file "${file}.missing"`],
    });
  } finally {
    if (before === undefined) delete process.env.ENV_FILE;
    else process.env.ENV_FILE = before;
  }
});

/**
 * `value` read alone as `name` (`ASPNETCORE_PORT` for aspnetcore): what it gives, and the problem
 * it is, if any.
 */
function readAlone(name: string, value: string): { got: unknown; problems: string[] } {
  const variable = declaredName(name);
  const read = new EnvironmentReader({ [name]: value });
  const registration = registrations.find((each) => name.startsWith(`${each.name.toUpperCase()}_`));
  const got = registration
    ? read.getForSample(variable as SampleVariableName, registration)
    : read.get(variable as ProjectVariableName);
  try {
    read.throwIfProblems();
    return { got, problems: [] };
  } catch (error) {
    return { got, problems: (error as ConfigurationError).problems };
  }
}

test('every default is a value of its own type, read back unchanged', () => {
  for (const variable of declared) {
    const defaults =
      variable.default !== undefined
        ? [{ name: variable.name, value: variable.default }]
        : registrations.flatMap((registration) =>
            variable.sampleDefault
              ? [
                  {
                    name: variable.name.replace('<SAMPLE>', registration.name.toUpperCase()),
                    value: variable.sampleDefault(registration),
                  },
                ]
              : [],
          );
    for (const { name, value } of defaults) {
      assert.deepEqual(readAlone(name, String(value)), { got: value, problems: [] }, name);
    }
  }
});

test("docs/configuration.md's table of variables is the schema's (`npm run docs:config` writes it)", () => {
  const page = readFileSync(docsPage, 'utf8');
  const start = page.indexOf('<!-- variables:start');
  const end = page.indexOf(END);
  assert.ok(start !== -1 && end > start, `docs/configuration.md has no ${START} … ${END}`);
  assert.equal(
    page.slice(start, end + END.length),
    variablesTable(),
    'run `npm run docs:config`, or change shared/config/schema.ts',
  );
});

test('npm run docs:config writes the table into the page it is given', async () => {
  const page = readFileSync(docsPage, 'utf8');
  const stale = page.replace(
    /<!-- variables:start[\s\S]*<!-- variables:end -->/,
    `${START}\n| an old table |\n${END}`,
  );
  assert.notEqual(stale, page);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'configuration-')), 'configuration.md');
  writeFileSync(file, stale);
  const command = new Command(`npm run docs:config -- ${file}`, {});
  assert.equal(await command.exitCode(60_000), 0, command.output);
  assert.match(command.output, /the table of variables written/);
  assert.equal(readFileSync(file, 'utf8'), withVariablesTable(page));
});

test('.env.example names only declared variables, each example a value of its type', () => {
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  const assignments = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(\S*)/gm)].map(
    ([, name = '', value = '']) => ({ name, value }),
  );
  assert.ok(assignments.length > 10, `only ${assignments.length} variables found`);
  const names = new Set(declared.map((variable) => variable.name));
  assert.deepEqual(
    assignments.filter(({ name }) => !names.has(declaredName(name))).map(({ name }) => name),
    [],
    'named in .env.example, declared nowhere',
  );
  // An example is a value its variable takes.
  assert.deepEqual(
    assignments
      .filter(({ value }) => value !== '')
      .flatMap(({ name, value }) => readAlone(name, value).problems),
    [],
  );
});
