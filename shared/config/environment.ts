/**
 * Reading the environment: `process.env` over a `.env` file, and each variable read by its
 * declaration in schema.ts — its type's reader checks the value, and its default stands in when it
 * is unset or wrong. A wrong value is a problem, collected rather than thrown, so that start-up
 * reports every problem of every sample at once; a secret's value never appears in one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { SampleRegistration } from '../sample/registration.ts';
import {
  type ProjectVariableName,
  type Range,
  type SampleVariableName,
  sampleVariable,
  type ValueOf,
  type Variable,
  type VariableName,
  variables,
} from './schema.ts';

export type Environment = Record<string, string | undefined>;

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * `process.env`, over the values of a `.env` file in the working directory if there is one (or of
 * the file ENV_FILE names, which must exist).
 */
export function readEnvironment(): Environment {
  const read = new EnvironmentReader(process.env);
  const envFile = read.get('ENV_FILE');
  if (read.given('ENV_FILE') !== undefined && !existsSync(envFile)) {
    throw new ConfigurationError([`ENV_FILE: there is no file "${envFile}"`]);
  }
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/** How a value of one type is read. */
interface TypeReader<T> {
  /** What a value must be, as a problem says it (and the table of docs/configuration.md). */
  expected: string;
  /**
   * Whether a problem quotes the value given, or only says what is expected. A variable declared
   * secret is never quoted, whatever its type.
   */
  quotes: boolean;
  /** Read in any case: the value is lower-cased first (and quoted so). */
  lowerCase?: boolean;
  /** The value, or `undefined` when it is not one. */
  parse(value: string): T | undefined;
}

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i;
const HOST_NAME_PATTERN =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const PORT_RANGE: Range = { min: 1, max: 65535 };

const text: TypeReader<string> = { expected: 'any text', quotes: false, parse: (value) => value };
const file: TypeReader<string> = { expected: "a file's path", quotes: false, parse: text.parse };

/** The one reader of whole numbers: ports, counts and seconds differ by their unit and range. */
function wholeNumber(unit: string, { min, max }: Range): TypeReader<number> {
  return {
    expected: `${unit} from ${min} to ${max}`,
    quotes: true,
    parse(value) {
      const number = Number(value);
      return Number.isInteger(number) && number >= min && number <= max ? number : undefined;
    },
  };
}

/** A TCP port, as every `*_PORT` variable (and `npm run your-own-app`'s) is read. */
export const port = wholeNumber('a port number', PORT_RANGE);

const ports = listOf(port);

/** Several values `one` reads, separated by commas (quoted in a problem as `one` is). */
function listOf<T>(one: TypeReader<T>): TypeReader<T[]> {
  return {
    expected: `${one.expected}, or several separated by commas`,
    quotes: one.quotes,
    parse(value) {
      const each = value.split(',').map((part) => one.parse(part.trim()));
      return each.every((part) => part !== undefined) ? (each as T[]) : undefined;
    },
  };
}

const boolean: TypeReader<boolean> = {
  expected: 'on or off',
  quotes: true,
  lowerCase: true,
  parse(value) {
    if (['1', 'true', 'on', 'yes'].includes(value)) return true;
    if (['0', 'false', 'off', 'no'].includes(value)) return false;
    return undefined;
  },
};

const guid: TypeReader<string> = {
  expected: 'a GUID like 00000000-0000-0000-0000-000000000000',
  quotes: false,
  lowerCase: true,
  parse: (value) => (GUID_PATTERN.test(value) ? value : undefined),
};

/** A tenant: its id (GUID) or one of its domain names. */
const tenant: TypeReader<string> = {
  expected: 'a tenant id (GUID) or domain name',
  quotes: true,
  parse: (value) => (GUID_PATTERN.test(value) || DOMAIN_PATTERN.test(value) ? value : undefined),
};

/** A host name (`localhost`, a DNS name) or an IPv4 address. */
const host: TypeReader<string> = {
  expected: 'a host name or an IPv4 address, like 127.0.0.1',
  quotes: true,
  lowerCase: true,
  parse(value) {
    const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
    const valid = ipv4
      ? ipv4.slice(1).every((part) => Number(part) <= 255)
      : HOST_NAME_PATTERN.test(value);
    return valid ? value : undefined;
  },
};

/** An absolute http(s) URL with no path, read without a trailing slash. */
const origin: TypeReader<string> = {
  expected: 'an http(s) URL with no path, like https://app.example.com',
  quotes: false,
  parse(value) {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash) {
      return undefined;
    }
    return url.origin;
  },
};

/**
 * Secrets: one, or several separated by commas — the first signs or seals, every one still
 * verifies or opens, so that a new secret can be put first while the old one is phased out.
 */
const secrets: TypeReader<string[]> = {
  expected: 'at least 32 characters long (each, when there are several)',
  quotes: false,
  parse(value) {
    const each = value.split(',').map((secret) => secret.trim());
    return each.every((secret) => secret.length >= 32) ? each : undefined;
  },
};

/** A `redis://` or `rediss://` URL; never quoted, since it may hold a password. */
const redisUrl: TypeReader<string> = {
  expected: 'a redis:// or rediss:// URL, like redis://127.0.0.1:6379',
  quotes: false,
  parse(value) {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    return url && /^rediss?:$/.test(url.protocol) && url.hostname ? value : undefined;
  },
};

/** `redis://` URLs separated by commas (seed nodes of a cluster); never quoted. */
const redisUrls = listOf(redisUrl);

/** The reader of a variable's type (and, for a whole number, of its range). */
function readerOf(variable: Variable): TypeReader<unknown> {
  switch (variable.type) {
    case 'text':
      return text;
    case 'file':
      return file;
    case 'port':
      return port;
    case 'ports':
      return ports;
    case 'count':
      return wholeNumber('a whole number', variable.range);
    case 'seconds':
      return wholeNumber('a whole number of seconds', variable.range);
    case 'boolean':
      return boolean;
    case 'guid':
      return guid;
    case 'tenant':
      return tenant;
    case 'host':
      return host;
    case 'origin':
      return origin;
    case 'secrets':
      return secrets;
    case 'redis-url':
      return redisUrl;
    case 'redis-urls':
      return redisUrls;
  }
}

/** What a variable's value must be, as a problem says it: the docs' table says the same. */
export function expectedValue(variable: Variable): string {
  return readerOf(variable).expected;
}

const declarations = new Map<string, Variable>(
  variables.map((variable) => [variable.name, variable]),
);

/** Reads variables by their declaration, collecting every problem so they can be reported together. */
export class EnvironmentReader {
  readonly #env: Environment;
  readonly #problems = new Set<string>();

  constructor(env: Environment) {
    this.#env = env;
  }

  problem(message: string): void {
    this.#problems.add(message);
  }

  throwIfProblems(): void {
    if (this.#problems.size > 0) throw new ConfigurationError([...this.#problems]);
  }

  /** A variable's value as given, trimmed, whatever it is; empty counts as unset. */
  given(name: ProjectVariableName): string | undefined;
  given(name: SampleVariableName, registration: SampleRegistration): string | undefined;
  given(name: VariableName, registration?: SampleRegistration): string | undefined {
    return this.#given(this.#nameOf(name, registration));
  }

  /** A variable of the project, read by its type: its value, or its default. */
  get<N extends ProjectVariableName>(name: N): ValueOf<N> {
    return this.#read(name) as ValueOf<N>;
  }

  /** A `<SAMPLE>_…` variable of one sample, read by its type: its value, or its default. */
  getForSample<N extends SampleVariableName>(
    name: N,
    registration: SampleRegistration,
  ): ValueOf<N> {
    return this.#read(name, registration) as ValueOf<N>;
  }

  #read(name: VariableName, registration?: SampleRegistration): unknown {
    const variable = declarations.get(name) as Variable;
    const fallback =
      registration && variable.sampleDefault
        ? variable.sampleDefault(registration)
        : variable.default;
    const reader = readerOf(variable);
    const named = this.#nameOf(name, registration);
    const given = this.#given(named);
    if (given === undefined) return fallback;
    const value = reader.lowerCase ? given.toLowerCase() : given;
    const parsed = reader.parse(value);
    if (parsed !== undefined) return parsed;
    const quoted = reader.quotes && !variable.secret ? ` (got "${value}")` : '';
    this.problem(`${named} must be ${reader.expected}${quoted}`);
    return fallback;
  }

  #given(named: string): string | undefined {
    const value = this.#env[named]?.trim();
    return value === '' ? undefined : value;
  }

  #nameOf(name: VariableName, registration: SampleRegistration | undefined): string {
    if (!name.startsWith('<SAMPLE>_')) return name;
    if (!registration) throw new Error(`${name} is read for a sample`);
    return sampleVariable(name as SampleVariableName, registration);
  }
}
