/**
 * `--json FILE` of `npm start` and `npm run bench`: the results as one JSON document, for scripts and
 * plots (shapes: docs/json-output.md). FILE is checked before the command runs anything, and written
 * only once the run is over, whole or not at all: to FILE.tmp in the same directory, then renamed over
 * FILE (a rename replaces the file in one step:
 * https://pubs.opengroup.org/onlinepubs/9799919799/functions/rename.html). `-` writes
 * the document to stdout instead, and the command's human lines go to stderr.
 */
import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** `--json -`: the document on stdout. */
export const STDOUT = '-';

/** The usage line of the option, for `--help`. */
export const JSON_OPTION_USAGE =
  '--json FILE writes the results as one JSON document to FILE (atomically, once the run is over); --json - writes it to stdout (the human lines then go to stderr)';

/** Why FILE cannot be written, naming it; undefined when it can. Nothing is created. */
export function jsonTargetProblem(file: string): string | undefined {
  if (file === STDOUT) return undefined;
  if (file === '') return '--json: give a file path, or - for stdout';
  const path = resolve(file);
  const directory = dirname(path);
  const directoryStat = statSync(directory, { throwIfNoEntry: false });
  if (!directoryStat) return `--json: ${file}: directory ${directory} does not exist`;
  if (!directoryStat.isDirectory()) return `--json: ${file}: ${directory} is not a directory`;
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing?.isDirectory()) return `--json: ${file} is a directory`;
  if (statSync(`${path}.tmp`, { throwIfNoEntry: false })?.isDirectory())
    return `--json: ${file}.tmp (written first, then renamed) is a directory`;
  try {
    // Creating FILE.tmp and renaming it need write access to the directory, not to FILE.
    accessSync(directory, constants.W_OK | constants.X_OK);
  } catch {
    return `--json: ${file}: directory ${directory} is not writable`;
  }
  return undefined;
}

/**
 * Writes `document` to `file` (or stdout for `-`). A failure at this point (a disk full, the directory
 * gone meanwhile) is one line on stderr and exit code 1; FILE keeps what it held before.
 */
export function writeJsonDocument(commandName: string, file: string, document: unknown): void {
  const json = `${JSON.stringify(document, null, 2)}\n`;
  if (file === STDOUT) {
    process.stdout.write(json);
    return;
  }
  const temporary = `${resolve(file)}.tmp`;
  try {
    writeFileSync(temporary, json);
    renameSync(temporary, resolve(file));
  } catch (error) {
    rmSync(temporary, { force: true });
    console.error(`${commandName}: --json: could not write ${file}: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
