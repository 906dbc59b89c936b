/**
 * The command lines' one argument parser (node:util parseArgs, strict): `--help` prints the usage
 * (exit 0); an unknown, repeated or value-less option is refused in one line (exit 2). Commands set
 * `process.exitCode` and return rather than `process.exit()`, so piped output arrives whole. It lives
 * in the local cloud, whose emulator command uses it too (the local cloud imports nothing outside
 * itself); the product's commands take it from its public entry.
 */
export {
  type Command,
  HELP_OPTION,
  parseCommandLine,
  refuse,
} from '@device-defender-remediation/local-cloud';
