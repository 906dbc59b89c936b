/**
 * Standalone emulator on loopback, on real time (optionally sped up):
 *   npm run emulator -- --port 4566 [--preset fixture] [--speed 60]
 */
import { parseArgs } from 'node:util';
import { ScaledClock } from '../clock.ts';
import { startEmulator } from './index.ts';
import { presets } from './presets.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    preset: { type: 'string' },
    speed: { type: 'string', default: '1' },
  },
});

const port = Number(values.port);
const speed = Number(values.speed);
const preset = values.preset === undefined ? undefined : presets[values.preset];
if (!Number.isInteger(port) || port < 0 || port > 65535 || !(speed > 0)) {
  console.error('usage: npm run emulator -- --port N [--preset NAME] [--speed FACTOR]');
  process.exit(2);
}
if (values.preset !== undefined && !preset) {
  console.error(`unknown preset ${values.preset}; known: ${Object.keys(presets).join(', ')}`);
  process.exit(2);
}

const clock = new ScaledClock(speed);
const emulator = await startEmulator({ clock, port });
preset?.(emulator.service, clock.now());
console.log(`Device Defender emulator listening on ${emulator.endpoint}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    emulator.close().finally(() => process.exit(0));
  });
}
