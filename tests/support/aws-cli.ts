/**
 * The real AWS CLI the tests run: Debian's `awscli` (version 2, /usr/bin/aws) or any version 2 on the
 * PATH, else whichever `aws` there is. `.ci/run` installs Debian's.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const VERSION_TIMEOUT_MS = 60_000;

/** The AWS CLI: version 2 if one is installed (on the PATH or /usr/bin/aws), else whichever `aws` there is. */
export function awsCli(): string {
  const found = [
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'aws')),
    '/usr/bin/aws',
  ].filter((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  const version = (path: string) => {
    try {
      return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: VERSION_TIMEOUT_MS });
    } catch {
      return '';
    }
  };
  const chosen = found.find((path) => version(path).startsWith('aws-cli/2')) ?? found[0];
  if (chosen === undefined)
    throw new Error(
      'The AWS CLI (aws) is neither on the PATH nor /usr/bin/aws: install it (apt-get install awscli).',
    );
  return chosen;
}

/** A PATH whose `aws` is `awsCli()`, for commands a person types as `aws ...` (run through a shell). */
export function pathWithAwsCli(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aws-cli-'));
  symlinkSync(awsCli(), join(dir, 'aws'));
  return [dir, process.env.PATH ?? ''].join(delimiter);
}
