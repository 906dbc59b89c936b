/**
 * Standalone emulator on loopback, on real time (optionally sped up):
 *   npm run emulator -- --port 4566 [--preset fixture|demo|large] [--speed 60] [--notification-url URL]
 * Audit notifications go to the URL (SNS HTTP envelope) when given, and are logged either way.
 */
import { parseArgs } from 'node:util';
import { ScaledClock } from '../clock.ts';
import { startEmulator } from './index.ts';
import { presets } from './presets/presets.ts';

/** Real time between checks for audits that ended, since a scaled clock cannot announce time passing. */
const ANNOUNCE_INTERVAL_MS = 250;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    preset: { type: 'string' },
    speed: { type: 'string', default: '1' },
    'notification-url': { type: 'string' },
  },
});

const port = Number(values.port);
const speed = Number(values.speed);
const preset = values.preset === undefined ? undefined : presets[values.preset];
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(speed > 0)) {
  console.error(
    'usage: npm run emulator -- --port N [--preset NAME] [--speed FACTOR] [--notification-url URL]',
  );
  process.exit(2);
}
if (values.preset !== undefined && !preset) {
  console.error(`unknown preset ${values.preset}; known: ${Object.keys(presets).join(', ')}`);
  process.exit(2);
}

const clock = new ScaledClock(speed);
const notificationUrl = values['notification-url'];
const emulator = await startEmulator({
  clock,
  port,
  ...(notificationUrl !== undefined && { notificationTarget: { url: notificationUrl } }),
});
preset?.(emulator.service, clock.now());
emulator.service.onAuditNotification((n) => {
  console.log(
    `audit ${n.taskId} ${n.taskStatus}: ${n.nonCompliantChecksCount}/${n.totalChecksCount} checks non-compliant`,
  );
});
const announcer = setInterval(() => void emulator.service.announceFinishedAudits(), ANNOUNCE_INTERVAL_MS);
console.log(`Device Defender emulator listening on ${emulator.endpoint}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearInterval(announcer);
    emulator.close().finally(() => process.exit(0));
  });
}
