/**
 * `npm run bench [-- NAME ...] [--json FILE|-]`: runs the benchmarks (all, or the named ones) and prints
 * their figures as a table beside the goals; `--json` writes the same figures as one JSON document
 * (docs/json-output.md). Each benchmark returns its figures as data, and its table rows are made from
 * that data alone: the table prints no figure the JSON lacks, and the JSON holds none the table leaves
 * out. Figures are kept in bench/RESULTS.md by hand, with date and machine.
 */
import { Console } from 'node:console';
import { arch, cpus, platform, totalmem } from 'node:os';
import { HELP_OPTION, parseCommandLine, refuse } from '../local/cli/args.ts';
import { JSON_OPTION_USAGE, jsonTargetProblem, STDOUT, writeJsonDocument } from '../local/cli/json-output.ts';
import { formatDuration } from '../local/demo.ts';
import { coldStartRows, measureColdStart } from './cold-start.ts';
import { measureCost } from './cost.ts';
import { cents } from './cost-model.ts';
import { measureLargeEndToEnd } from './end-to-end.ts';
import { measureFindingsPages } from './findings-pages.ts';
import { measurePolicyValidators } from './policy-validator.ts';
import { HISTORY_LIMIT, measurePolling } from './polling.ts';
import { measurePlannerScale } from './scale.ts';

interface Row {
  readonly measure: string;
  readonly value: string;
  readonly goal: string;
}

/** A benchmark: its figures as data, and the table rows made from them. */
interface Benchmark<Figures> {
  readonly run: () => Promise<Figures>;
  readonly rows: (figures: Figures) => Row[];
}

const benchmark = <Figures>(b: Benchmark<Figures>): Benchmark<Figures> => b;
const count = (n: number) => n.toLocaleString('en-US');

const benchmarks = {
  'cold-start': benchmark({
    run: () => measureColdStart(),
    rows: (r) => [
      // Its own rows (bench/cold-start.ts) print every figure but this count.
      ...coldStartRows(r).map(({ measure, value, goal }) => ({ measure, value, goal })),
      { measure: 'executions the planner started', value: String(r.executionsStarted), goal: '' },
    ],
  }),
  scale: benchmark({
    run: async () => ({ plans: measurePlannerScale() }),
    rows: ({ plans }) =>
      plans.map((r) => ({
        measure: `plan for ${count(r.findings)} non-compliant findings (${r.checks} checks; mean of ${count(r.iterations)} plannings)`,
        value: `${(r.planBytes / 1024).toFixed(2)} KB, ${r.planMicroseconds.toFixed(0)} µs to plan`,
        goal: 'constant, < 8 KB',
      })),
  }),
  polling: benchmark({
    run: async () => ({ tasks: await measurePolling() }),
    rows: ({ tasks }) =>
      tasks.flatMap((r) => {
        const task = formatSeconds(r.taskSeconds);
        return [
          {
            measure: `${task} task: describes / switch reads / transitions / history events / detection lag`,
            value: `${r.describes} / ${r.switchReads} / ${r.transitions} / ${r.historyEvents} / ${r.lagSeconds.toFixed(1)} s (${r.outcome})`,
            goal: `lag <= ${Math.max(15, r.taskSeconds / 10)} s; history < 2,500 (switch reads included)`,
          },
          {
            measure: `${task} task, fixed 10 s poll (baseline, loop only): describes / transitions / history events / worst lag`,
            value: `${r.baseline.describes} / ${r.baseline.transitions} / ${r.baseline.historyEvents} / <= ${r.baseline.worstLagSeconds} s`,
            goal:
              r.baseline.historyEvents > HISTORY_LIMIT
                ? `exceeds the ${count(HISTORY_LIMIT)}-event history limit`
                : '',
          },
        ];
      }),
  }),
  cost: benchmark({
    run: () => measureCost(),
    rows: (r) =>
      r.cells.flatMap((c) => {
        const cell = `${formatSeconds(c.taskSeconds)} task, ${count(c.findings)} findings`;
        const inCents = (usd: number) => `${cents(usd).toFixed(3)} ¢`;
        const iot = Object.entries(c.iotCalls)
          .map(([api, n]) => `${api} ${n}${r.iotTps[api] === undefined ? '' : ` (${r.iotTps[api]} TPS)`}`)
          .join(', ');
        const lambda = Object.entries(c.lambdaInvocations)
          .map(([fn, n]) => `${fn} ${n}`)
          .join(', ');
        return [
          {
            measure: `${cell}: per audit (${c.outcome}, verification ${c.verification})`,
            value: `${inCents(c.totalUsd)}: transitions ${inCents(c.lines.find((l) => l.item === 'stateTransition')?.usd ?? 0)} (task polling ${c.taskPollingTransitions}, verification ${c.verificationTransitions} of ${count(c.stateTransitions)})`,
            goal: c.taskSeconds <= 7_200 ? '<= 1 ¢' : '<= 2 ¢',
          },
          {
            measure: `${cell}: transitions / λ invocations / GB-s / stack SNS messages / SQS, Pipe, events / SSM reads, writes`,
            value: `${count(c.stateTransitions)} / ${lambda} / ${c.lambdaGbSeconds.toFixed(3)} / ${c.snsMessages} / ${c.sqsRequests}, ${c.pipeRequests}, ${c.customEvents} / ${c.ssm.reads}, ${c.ssm.writes}`,
            goal: '',
          },
          { measure: `${cell}: IoT calls by API (TPS quota)`, value: iot, goal: '' },
          {
            measure: `${cell}: findings published (PUBLISH_FINDING_TO_SNS, the user's choice) / fixed 10 s poll baseline`,
            value: `${count(c.findingPublishes)} messages, ${inCents(c.findingPublishesUsd)} / ${count(c.baseline.stateTransitions)} transitions, ${inCents(c.baseline.totalUsd)} per audit`,
            goal: '',
          },
        ];
      }),
  }),
  'findings-pages': benchmark({
    run: () => measureFindingsPages(),
    rows: (r) => [
      {
        measure: `ListAuditFindings over ${count(r.findings)} findings: ${count(r.pages)} pages of ${r.pageSize}, median / slowest`,
        value: `${r.medianPageMs.toFixed(2)} ms / ${r.slowestPageMs.toFixed(1)} ms`,
        goal: 'slowest < 50 ms',
      },
    ],
  }),
  'large-e2e': benchmark({
    run: () => measureLargeEndToEnd(),
    rows: (r) => [
      {
        measure: `npm start -- --preset large (${count(r.findings)} findings)`,
        value: `${r.outcome}, ${r.checksHeldBack} check${r.checksHeldBack === 1 ? '' : 's'} held back, ${r.findingsHandled === null ? 'no mitigation task' : `${count(r.findingsHandled)} findings handled`}, ${formatDuration(r.virtualMs)} virtual`,
        goal: '',
      },
      { measure: 'wall time (fresh process)', value: `${r.wallSeconds.toFixed(1)} s`, goal: '' },
      { measure: 'peak memory (max RSS)', value: `${r.peakRssMb} MB`, goal: '< 1 GB' },
    ],
  }),
  'policy-validator': benchmark({
    run: async () => ({ validators: await measurePolicyValidators() }),
    rows: ({ validators }) =>
      validators.flatMap((r) => [
        {
          measure: `${r.name}: planner bundle; its validator, schema and policy modules`,
          value: `${count(r.plannerBytes)} B; ${count(r.plannerValidatorBytes)} B`,
          goal: '',
        },
        {
          measure: `${r.name}: those modules, by input`,
          value: Object.entries(r.plannerValidatorInputs)
            .map(([input, bytes]) => `${input.replace(/\.ts$/, '')} ${bytes}`)
            .join(', '),
          goal: '',
        },
        {
          measure: `${r.name}: bundle that only validates a policy`,
          value: `${count(r.minimalBytes)} B`,
          goal: '',
        },
        {
          measure: `${r.name}: fresh node loads it + validates (median of ${r.runs}; unvalidated ${r.unvalidatedMedianMs.toFixed(1)} ms, bare node ${r.bareNodeMedianMs.toFixed(1)} ms)`,
          value: `${r.loadMedianMs.toFixed(1)} ms (+${r.validationMs.toFixed(1)} ms)`,
          goal: '',
        },
      ]),
  }),
};
type Name = keyof typeof benchmarks;
const NAMES = Object.keys(benchmarks) as Name[];

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${seconds / 60} min`;
  return `${seconds / 3600} h`;
}

const command = {
  name: 'npm run bench',
  usage: [
    `usage: npm run bench [-- NAME ...] [--json FILE|-]   NAME: ${NAMES.join(', ')}`,
    'Runs the benchmarks (all, or the named ones) and prints their figures beside the goals.',
    JSON_OPTION_USAGE,
  ].join('\n'),
  options: { ...HELP_OPTION, json: { type: 'string' } },
  allowPositionals: true,
} as const;

async function main() {
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const selected = parsed.positionals;
  const unknown = selected.filter((name) => !(name in benchmarks));
  if (unknown.length > 0)
    return refuse(command, `unknown benchmark ${unknown.join(', ')}; choose from ${NAMES.join(', ')}`);
  const repeated = selected.find((name, index) => selected.indexOf(name) !== index);
  if (repeated) return refuse(command, `benchmark ${repeated} is named more than once`);
  const json = parsed.values.json;
  const jsonProblem = json === undefined ? undefined : jsonTargetProblem(json);
  if (jsonProblem) return refuse(command, jsonProblem);
  // With the JSON on stdout, the table goes to stderr.
  const out = json === STDOUT ? new Console({ stdout: process.stderr }) : console;

  const machine = {
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  const date = new Date().toISOString();
  out.log(
    `${date} · Node ${machine.node} · ${machine.platform} · ${machine.cpus} × ${machine.cpuModel} · ${machine.memoryGiB} GiB`,
  );
  const figures: Record<string, unknown> = {};
  const rows: (Row & { benchmark: string })[] = [];
  for (const name of selected.length > 0 ? (selected as Name[]) : NAMES) {
    const { run, rows: present } = benchmarks[name] as Benchmark<unknown>;
    const result = await run();
    figures[name] = result;
    rows.push(...present(result).map((row) => ({ benchmark: name, ...row })));
  }
  out.table(rows);
  if (json !== undefined)
    writeJsonDocument(command.name, json, {
      schemaVersion: 1,
      command: command.name,
      date,
      machine,
      benchmarks: figures,
    });
}

await main();
