/**
 * The `.env` file `npm run register` writes the samples' settings to: its other lines are kept as
 * they are (comments, order, other variables), a variable it sets is changed where it stands (or
 * added at the end), one it removes is taken out. The file is replaced whole, through a new file
 * of mode 0600 renamed over it, so that it holds secrets readable by its owner only and is never
 * left half written.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export class EnvFile {
  readonly #path: string;
  #lines: string[];

  private constructor(path: string, text: string | undefined) {
    this.#path = path;
    this.#lines = text === undefined ? [] : text.replace(/\n$/, '').split('\n');
  }

  /** The file at `path`, or an empty one to be created there. */
  static read(path: string): EnvFile {
    return new EnvFile(path, existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  }

  get path(): string {
    return this.#path;
  }

  get exists(): boolean {
    return existsSync(this.#path);
  }

  /** What the file says now (node's own `.env` parser, as the samples read it). */
  values(): Record<string, string> {
    return parseEnv(this.#lines.join('\n')) as Record<string, string>;
  }

  get(name: string): string | undefined {
    return this.values()[name];
  }

  /** Sets `name`, where it stands or at the end (after `heading`, a comment, if it is the first). */
  set(name: string, value: string, heading?: string): void {
    const line = `${name}=${quoted(value)}`;
    const at = this.#lines.findIndex((existing) => definesVariable(existing, name));
    if (at >= 0) {
      this.#lines[at] = line;
      this.#removeFrom(at + 1, name);
      return;
    }
    if (heading && !this.#lines.includes(heading)) {
      if (this.#lines.length > 0 && this.#lines.at(-1) !== '') this.#lines.push('');
      this.#lines.push(heading);
    }
    this.#lines.push(line);
  }

  /** Removes every line that sets `name`; whether there was one. */
  remove(name: string): boolean {
    const before = this.#lines.length;
    this.#removeFrom(0, name);
    return this.#lines.length < before;
  }

  /** Writes the file: mode 0600, all at once. */
  save(): void {
    const temporary = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${this.#lines.join('\n')}\n`, { mode: 0o600 });
    renameSync(temporary, this.#path);
  }

  #removeFrom(start: number, name: string): void {
    this.#lines = this.#lines.filter(
      (line, index) => index < start || !definesVariable(line, name),
    );
  }
}

function definesVariable(line: string, name: string): boolean {
  return new RegExp(`^\\s*(export\\s+)?${name}\\s*=`).test(line);
}

/** A value as it is written: bare when it is plain, in double quotes otherwise. */
function quoted(value: string): string {
  if (/^[\w.~:/@+=-]*$/.test(value)) return value;
  if (/["\n\\]/.test(value)) throw new Error('a value with a quote or a newline cannot be written');
  return `"${value}"`;
}
