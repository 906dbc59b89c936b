/**
 * The command lines' one argument parser (node:util parseArgs, strict): `--help` prints the usage
 * (exit 0); an unknown, repeated or value-less option is refused in one line (exit 2). Commands set
 * `process.exitCode` and return rather than `process.exit()`, so piped output arrives whole.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

export interface Command<O extends ParseArgsOptionsConfig> {
  /** How a person runs it, e.g. `npm run plan`. */
  readonly name: string;
  /** The usage, printed by `--help`. */
  readonly usage: string;
  readonly options: O;
  readonly allowPositionals?: boolean;
}

/** Refuses bad input: one line on stderr naming it, exit code 2. */
export function refuse(command: { readonly name: string }, message: string): undefined {
  console.error(`${command.name}: ${message}`);
  process.exitCode = 2;
  return undefined;
}

/** The parsed command line, or undefined when the command should stop (help shown, or input refused). */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(
  command: Command<O>,
  argv: string[] = process.argv.slice(2),
) {
  const config = {
    args: joinDashedValues(command.options, argv),
    options: command.options,
    strict: true as const,
    allowPositionals: command.allowPositionals ?? false,
    tokens: true as const,
  };
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    refuse(command, `${describeParseError(error as Error)} (see ${command.name} -- --help)`);
    return undefined;
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens as Array<{ kind: string; name?: string }>) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    if (seen.has(token.name)) {
      refuse(command, `--${token.name} is given more than once`);
      return undefined;
    }
    seen.add(token.name);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    console.log(command.usage);
    process.exitCode = 0;
    return undefined;
  }
  return { values: parsed.values, positionals: parsed.positionals as string[] };
}

/**
 * `--speed -1` means `--speed=-1` (parseArgs calls it ambiguous): a string option takes the next
 * argument as its value, unless that argument is `--` or one of the command's own options.
 */
function joinDashedValues(options: ParseArgsOptionsConfig, argv: string[]): string[] {
  const known = new Set(
    Object.entries(options).flatMap(([name, option]) => [
      `--${name}`,
      ...(option.short ? [`-${option.short}`] : []),
    ]),
  );
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next?.startsWith('-') &&
      next !== '--' &&
      !known.has(next.split('=')[0]!)
    ) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
    if (arg === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
  }
  return out;
}

function describeParseError(error: Error): string {
  const code = (error as { code?: string }).code;
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${quoted ?? ''}; this command takes only options`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${(error.message.split('\n')[0] ?? error.message).replace(/\.$/, '')}`;
    default:
      return error.message.split('\n')[0] ?? error.message;
  }
}
