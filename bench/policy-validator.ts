/**
 * What the policy validator costs: its bytes in the planner bundle (esbuild with the template's
 * settings), the bytes of a bundle that only validates a policy, and that bundle's load + one
 * validation of the default policy in a fresh Node process (median of N, interleaved with a bundle
 * that loads the same policy without validating it, and with a bare `node -e 0`). Measures functions/domain/policy.ts; `POLICY_VALIDATORS="name=/abs/module.ts ..."` adds
 * alternatives that export the same functions (parsePolicy, effectiveCaps, policyDigest): that is how
 * valibot and zod/mini were weighed (docs/decisions/policy-validation.md).
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { ESBUILD_SETTINGS } from '../scripts/build-functions.ts';
import { median, timeProcess } from './process-timing.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const HAND_WRITTEN = `${root}functions/domain/policy.ts`;

export interface ValidatorResult {
  readonly name: string;
  readonly plannerBytes: number;
  /** Bytes in the planner bundle of the policy and schema modules and of any validation library. */
  readonly plannerValidatorBytes: number;
  /** The same, by input (module or package). */
  readonly plannerValidatorInputs: Readonly<Record<string, number>>;
  readonly minimalBytes: number;
  readonly runs: number;
  readonly loadMedianMs: number;
  /** What validating adds: loadMedianMs - unvalidatedMedianMs. */
  readonly validationMs: number;
  /** The same bundle without the validation: the policy JSON, the banner, Node's start. */
  readonly unvalidatedMedianMs: number;
  readonly bareNodeMedianMs: number;
}

const VALIDATOR_INPUT = /(json-schema|policy[\w-]*)\.ts$|node_modules\/(valibot|zod|@valibot)\//;

/** The planner's imports of the policy module go to `module` instead. */
const policyModule = (module: string): Plugin => ({
  name: 'policy-module',
  setup(b) {
    b.onResolve({ filter: /^(#domain\/policy|\.\/policy\.ts)$/ }, (args) =>
      args.importer.startsWith(`${root}functions/`) ? { path: module } : undefined,
    );
  },
});

async function bundle(outfile: string, module: string | undefined, entry: 'planner' | 'minimal') {
  const policy = JSON.stringify(`${root}config/default-policy.json`);
  const result = await build({
    ...ESBUILD_SETTINGS,
    ...(entry === 'planner'
      ? { entryPoints: [`${root}functions/plan-remediation/index.ts`] }
      : {
          stdin: {
            contents: module
              ? [
                  `import { parsePolicy } from ${JSON.stringify(module)};`,
                  `import policy from ${policy};`,
                  `const result = parsePolicy(policy);`,
                  `if (!result.ok) { console.error(JSON.stringify(result.issues)); process.exit(3); }`,
                ].join('\n')
              : `import policy from ${policy};\nif (typeof policy !== 'object') process.exit(3);`,
            resolveDir: root,
            loader: 'ts',
          },
        }),
    outfile,
    metafile: true,
    logLevel: 'warning',
    plugins: module === undefined || module === HAND_WRITTEN ? [] : [policyModule(module)],
  });
  const inputs = Object.entries((result.metafile as Metafile).outputs).find(([file]) =>
    file.endsWith('.mjs'),
  )![1].inputs;
  const validatorInputs: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const match = VALIDATOR_INPUT.exec(input);
    if (!match) continue;
    const key = match[2] ?? match[0];
    validatorInputs[key] = (validatorInputs[key] ?? 0) + bytesInOutput;
  }
  return {
    bytes: statSync(outfile).size,
    validatorBytes: Object.values(validatorInputs).reduce((sum, bytes) => sum + bytes, 0),
    validatorInputs,
  };
}

export function validatorsToMeasure(spec = process.env.POLICY_VALIDATORS ?? ''): [string, string][] {
  const others = spec
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => entry.split('=', 2) as [string, string]);
  return [['hand-written', HAND_WRITTEN], ...others];
}

export async function measurePolicyValidators(
  validators = validatorsToMeasure(),
  runs = 20,
): Promise<ValidatorResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ddr-validator-'));
  const built = [];
  for (const [name, module] of validators) {
    const planner = await bundle(join(dir, name, 'planner.mjs'), module, 'planner');
    const minimalFile = join(dir, name, 'minimal.mjs');
    const minimal = await bundle(minimalFile, module, 'minimal');
    built.push({ name, planner, minimal, minimalFile, times: [] as number[] });
  }
  const unvalidatedFile = join(dir, 'unvalidated.mjs');
  await bundle(unvalidatedFile, undefined, 'minimal');
  const bare: number[] = [];
  const unvalidated: number[] = [];
  // Interleaved, so that every variant sees the same machine load.
  for (let run = 0; run < runs; run += 1) {
    bare.push(await timeProcess(['-e', '0']));
    unvalidated.push(await timeProcess([unvalidatedFile]));
    for (const variant of built) variant.times.push(await timeProcess([variant.minimalFile]));
  }
  const [bareNodeMedianMs, unvalidatedMedianMs] = [median(bare), median(unvalidated)];
  return built.map(({ name, planner, minimal, times }) => ({
    name,
    plannerBytes: planner.bytes,
    plannerValidatorBytes: planner.validatorBytes,
    plannerValidatorInputs: planner.validatorInputs,
    minimalBytes: minimal.bytes,
    runs,
    loadMedianMs: median(times),
    validationMs: median(times) - unvalidatedMedianMs,
    unvalidatedMedianMs,
    bareNodeMedianMs,
  }));
}
