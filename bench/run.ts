/**
 * `npm run bench [-- NAME ...]`: runs the benchmarks (all, or the named ones) and prints their figures
 * as a table beside the goals. Figures are kept in bench/RESULTS.md by hand, with date and machine.
 */
import { cpus, totalmem } from 'node:os';
import { HELP_OPTION, parseCommandLine, refuse } from '../local/cli/args.ts';
import { measureColdStart } from './cold-start.ts';
import { measureLargeEndToEnd } from './end-to-end.ts';
import { measureFindingsPages } from './findings-pages.ts';
import { measurePolicyValidators } from './policy-validator.ts';
import { HISTORY_LIMIT, measurePolling } from './polling.ts';
import { measurePlannerScale } from './scale.ts';

type Row = { benchmark: string; measure: string; value: string; goal: string };
const benchmarks: Record<string, () => Promise<Row[]>> = {
  'cold-start': async () => {
    const r = await measureColdStart();
    return [
      {
        benchmark: 'cold-start',
        measure: 'planner bundle',
        value: `${(r.bundleBytes / 1024).toFixed(1)} KB`,
        goal: '<= 400 KB',
      },
      {
        benchmark: 'cold-start',
        measure: `planner: load + one event (median of ${r.runs})`,
        value: `${r.plannerMedianMs.toFixed(1)} ms`,
        goal: '',
      },
      {
        benchmark: 'cold-start',
        measure: `bare node -e 0 (median of ${r.runs})`,
        value: `${r.bareNodeMedianMs.toFixed(1)} ms`,
        goal: '',
      },
      {
        benchmark: 'cold-start',
        measure: 'ratio planner / bare node',
        value: r.ratio.toFixed(2),
        goal: '<= 1.5',
      },
      {
        benchmark: 'cold-start',
        measure: 'executions started',
        value: String(r.executionsStarted),
        goal: `${r.runs}`,
      },
    ];
  },
};

Object.assign(benchmarks, {
  scale: async () =>
    measurePlannerScale().map((r) => ({
      benchmark: 'scale',
      measure: `plan for ${r.findings.toLocaleString('en-US')} non-compliant findings (17 checks)`,
      value: `${(r.planBytes / 1024).toFixed(2)} KB, ${r.planMicroseconds.toFixed(0)} µs to plan`,
      goal: 'constant, < 8 KB',
    })),
});

Object.assign(benchmarks, {
  polling: async () =>
    (await measurePolling()).flatMap((r) => {
      const task = formatSeconds(r.taskSeconds);
      return [
        {
          benchmark: 'polling',
          measure: `${task} task: describes / transitions / history events / detection lag`,
          value: `${r.describes} / ${r.transitions} / ${r.historyEvents} / ${r.lagSeconds.toFixed(1)} s (${r.outcome})`,
          goal: `lag <= ${Math.max(15, r.taskSeconds / 10)} s; history < 2,500 (switch reads included)`,
        },
        {
          benchmark: 'polling',
          measure: `${task} task, fixed 10 s poll (baseline, loop only)`,
          value: `${r.baseline.describes} / ${r.baseline.transitions} / ${r.baseline.historyEvents} / <= ${r.baseline.worstLagSeconds} s`,
          goal:
            r.baseline.historyEvents > HISTORY_LIMIT
              ? `exceeds the ${HISTORY_LIMIT.toLocaleString('en-US')}-event history limit`
              : '',
        },
      ];
    }),
});

Object.assign(benchmarks, {
  'findings-pages': async () => {
    const r = await measureFindingsPages();
    return [
      {
        benchmark: 'findings-pages',
        measure: `ListAuditFindings over ${r.findings.toLocaleString('en-US')} findings: ${r.pages.toLocaleString('en-US')} pages of 250, median / slowest`,
        value: `${r.medianPageMs.toFixed(2)} ms / ${r.slowestPageMs.toFixed(1)} ms`,
        goal: 'slowest < 50 ms',
      },
    ];
  },
});

Object.assign(benchmarks, {
  'large-e2e': async () => {
    const r = await measureLargeEndToEnd();
    return [
      {
        benchmark: 'large-e2e',
        measure: 'npm start -- --preset large (1,000,000 findings)',
        value: `${r.outcome}, ${r.findingsHandled} findings, ${r.virtualTime} virtual`,
        goal: '',
      },
      {
        benchmark: 'large-e2e',
        measure: 'wall time (fresh process)',
        value: `${r.realSeconds.toFixed(1)} s`,
        goal: '',
      },
      {
        benchmark: 'large-e2e',
        measure: 'peak memory (max RSS)',
        value: `${r.peakMemoryMb} MB`,
        goal: '< 1 GB',
      },
    ];
  },
});

Object.assign(benchmarks, {
  'policy-validator': async () =>
    (await measurePolicyValidators()).flatMap((r) => [
      {
        benchmark: 'policy-validator',
        measure: `${r.name}: planner bundle; its validator, schema and policy modules`,
        value: `${r.plannerBytes.toLocaleString('en-US')} B; ${r.plannerValidatorBytes.toLocaleString('en-US')} B`,
        goal: '',
      },
      {
        benchmark: 'policy-validator',
        measure: `${r.name}: those modules, by input`,
        value: Object.entries(r.plannerValidatorInputs)
          .map(([input, bytes]) => `${input.replace(/\.ts$/, '')} ${bytes}`)
          .join(', '),
        goal: '',
      },
      {
        benchmark: 'policy-validator',
        measure: `${r.name}: bundle that only validates a policy`,
        value: `${r.minimalBytes.toLocaleString('en-US')} B`,
        goal: '',
      },
      {
        benchmark: 'policy-validator',
        measure: `${r.name}: fresh node loads it + validates (median of ${r.runs}; unvalidated ${r.unvalidatedMedianMs.toFixed(1)} ms, bare node ${r.bareNodeMedianMs.toFixed(1)} ms)`,
        value: `${r.loadMedianMs.toFixed(1)} ms (+${(r.loadMedianMs - r.unvalidatedMedianMs).toFixed(1)} ms)`,
        goal: '',
      },
    ]),
});

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${seconds / 60} min`;
  return `${seconds / 3600} h`;
}

const command = {
  name: 'npm run bench',
  usage: [
    `usage: npm run bench [-- NAME ...]   NAME: ${Object.keys(benchmarks).join(', ')}`,
    'Runs the benchmarks (all, or the named ones) and prints their figures beside the goals.',
  ].join('\n'),
  options: { ...HELP_OPTION },
  allowPositionals: true,
} as const;

async function main() {
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const selected = parsed.positionals;
  const unknown = selected.filter((name) => !(name in benchmarks));
  if (unknown.length > 0)
    return refuse(
      command,
      `unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(benchmarks).join(', ')}`,
    );
  const repeated = selected.find((name, index) => selected.indexOf(name) !== index);
  if (repeated) return refuse(command, `benchmark ${repeated} is named more than once`);
  console.log(
    `${new Date().toISOString()} · Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );
  const rows: Row[] = [];
  for (const name of selected.length > 0 ? selected : Object.keys(benchmarks))
    rows.push(...(await benchmarks[name]!()));
  console.table(rows);
}

await main();
