/**
 * Standalone emulator on loopback, on real time (optionally sped up):
 *   npm run emulator -- --port 4566 [--preset fixture|demo|large] [--speed 60] [--notification-url URL]
 * Audit notifications go to the URL (SNS HTTP envelope) when given, and are logged either way.
 */
import { ScaledClock } from '../clock.ts';
import { HELP_OPTION, parseCommandLine, refuse } from './args.ts';
import { startEmulator } from './index.ts';
import { presets } from './presets/presets.ts';

/** Real time between checks for audits that ended, since a scaled clock cannot announce time passing. */
const ANNOUNCE_INTERVAL_MS = 250;

const command = {
  name: 'npm run emulator',
  usage: [
    'usage: npm run emulator -- [--port N] [--preset fixture|demo|large] [--speed FACTOR] [--notification-url URL]',
    'The Device Defender emulator on 127.0.0.1, for the SDK or the AWS CLI (--endpoint-url).',
    '  --port N                 the port (default 0: any free port)',
    '  --preset NAME            what it holds: fixture, demo or large (default: nothing)',
    '  --speed FACTOR           virtual seconds per real second, > 0 (default 1; 60 makes an hour a minute)',
    '  --notification-url URL   http(s) URL that receives audit notifications as SNS HTTP deliveries',
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    port: { type: 'string', default: '0' },
    preset: { type: 'string' },
    speed: { type: 'string', default: '1' },
    'notification-url': { type: 'string' },
  },
} as const;

async function main() {
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const { values } = parsed;
  const port = Number(values.port);
  const speed = Number(values.speed);
  if (!/^\d+$/.test(values.port) || port > 65535)
    return refuse(command, `--port: "${values.port}" is not a port (0 to 65535)`);
  if (!Number.isFinite(speed) || !(speed > 0))
    return refuse(
      command,
      `--speed: "${values.speed}" is not a positive number (virtual seconds per real second)`,
    );
  const preset = values.preset === undefined ? undefined : presets[values.preset];
  if (values.preset !== undefined && !preset)
    return refuse(command, `--preset: "${values.preset}" is not one of ${Object.keys(presets).join(', ')}`);
  const notificationUrl = values['notification-url'];
  if (notificationUrl !== undefined && !isHttpUrl(notificationUrl))
    return refuse(command, `--notification-url: "${notificationUrl}" is not an http:// or https:// URL`);

  const clock = new ScaledClock(speed);
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({
      clock,
      port,
      ...(notificationUrl !== undefined && { notificationTarget: { url: notificationUrl } }),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') return refuse(command, `port ${port} is in use; choose another with --port`);
    if (code === 'EACCES')
      return refuse(command, `port ${port} needs privileges; choose one above 1023 with --port`);
    throw error;
  }
  preset?.(emulator.service, clock.now());
  emulator.service.onAuditNotification((n) => {
    console.log(
      `audit ${n.taskId} ${n.taskStatus}: ${n.nonCompliantChecksCount}/${n.totalChecksCount} checks non-compliant`,
    );
  });
  const announcer = setInterval(() => void emulator.service.announceFinishedAudits(), ANNOUNCE_INTERVAL_MS);
  console.log(`Device Defender emulator listening on ${emulator.endpoint}`);
  for (const line of describeHoldings(
    emulator.service,
    clock.now(),
    emulator.endpoint,
    values.preset,
    speed,
    notificationUrl,
  ))
    console.log(`  ${line}`);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      clearInterval(announcer);
      emulator.close().finally(() => process.exit(0));
    });
  }
}

/** What the emulator holds, said on start-up, with a command to try against it. */
function describeHoldings(
  service: Awaited<ReturnType<typeof startEmulator>>['service'],
  now: number,
  endpoint: string,
  preset: string | undefined,
  speed: number,
  notificationUrl: string | undefined,
): string[] {
  const actions = service.listMitigationActions({ maxResults: 250 }).actionIdentifiers ?? [];
  const audits =
    service.listAuditTasks({
      startTime: new Date(now - 89 * 86_400_000),
      endTime: new Date(now + 86_400_000),
      maxResults: 250,
    }).tasks ?? [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const cli = `AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws iot --endpoint-url ${endpoint} --region us-east-1`;
  return [
    `preset: ${preset ?? '(none: an empty account)'}; ${speed === 1 ? 'real time' : `${speed}x real time`}`,
    `${plural(actions.length, 'mitigation action')}${actions.length > 0 ? `: ${actions.map((a) => a.actionName).join(', ')}` : ''}`,
    `${plural(audits.length, 'audit')}${audits.length > 0 ? `: ${audits.map((a) => `${a.taskId} (${a.taskStatus})`).join(', ')}` : ''}`,
    `audit notifications: logged here${notificationUrl ? ` and delivered to ${notificationUrl}` : ''}`,
    `try: ${cli} ${audits[0] ? `describe-audit-task --task-id ${audits[0].taskId}` : 'list-mitigation-actions'}`,
  ];
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

await main();
