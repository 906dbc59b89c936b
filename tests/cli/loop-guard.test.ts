/**
 * `npm start -- --audits N`, run as a person runs it: the demo fleet's daily audit N days in a row
 * through the local stack; the loop guard suppresses the certificate its owner keeps re-activating at
 * the fourth audit, the last audit's report and the suppressions list say so, and --json carries them
 * (docs/json-output.md). Bad values are refused in one line before anything runs.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StartDocument } from '../../local/demo-document.ts';
import { npmRun, refusedWith } from './support.ts';

// npm start takes seconds, more on a busy machine: a bound for safety, not for speed.
const RUN_MS = 180_000;
const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
// The demo preset's revoked-2, named as the preset names certificates (the sha-256 of `device/<thing>`).
const LOOPING = createHash('sha256').update('device/revoked-2').digest('hex');

describe('npm start -- --audits N', () => {
  it(
    '4: three audits mitigate the re-activated certificate, the fourth suppresses it and says so',
    () => {
      const { status, stdout, stderr } = npmRun('start', ['--audits', '4', '--json', '-'], RUN_MS);
      expect(status).toBe(0);
      const run = JSON.parse(stdout) as StartDocument;
      // With the JSON on stdout, the lines for people are on stderr.
      for (const day of [1, 2, 3])
        expect(stderr).toMatch(new RegExp(`Audit ${day} of 4 \\(\\w+, scheduled\\): started`));
      expect(stderr).toContain(
        `- ${REVOKED}: DEVICE_CERTIFICATE deviceCertificateId=${LOOPING} suppressed until `,
      );
      expect(stderr).toMatch(
        new RegExp(
          `Audit suppressions \\(ListAuditSuppressions\\): 1\\n {4}${REVOKED} deviceCertificateId=${LOOPING} until \\d{4}-`,
        ),
      );
      expect(stderr).toMatch(/^Done: SUCCEEDED in /m);

      expect(run.audits).toBe(4);
      expect(run.earlierAudits).toHaveLength(3);
      for (const earlier of run.earlierAudits) {
        expect(earlier).toMatchObject({ outcome: 'SUCCEEDED', loopGuard: null });
        expect(earlier.checks).toContain(REVOKED);
        expect(earlier.verificationAudits).toEqual([
          { auditTaskId: expect.any(String), planner: 'verification-audit' },
        ]);
      }
      expect(run.plan?.checks.map((c) => c.checkName)).not.toContain(REVOKED);
      expect(run.plan?.loopGuard).toMatchObject({
        status: 'checked',
        guardedChecks: [REVOKED],
        suppressions: [
          {
            checkName: REVOKED,
            status: 'suppressed',
            previousAudits: run.earlierAudits.map((a) => a.auditTaskId).reverse(),
          },
        ],
      });
      expect(run.suppressions).toEqual([
        {
          checkName: REVOKED,
          resourceIdentifier: { deviceCertificateId: LOOPING },
          expirationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          suppressIndefinitely: false,
          description: expect.stringMatching(/loop guard/),
        },
      ]);
    },
    RUN_MS,
  );

  it(
    '1 (the default): one on-demand audit, no earlier audits and no suppressions listed',
    () => {
      const { status, stdout } = npmRun('start', ['--json', '-'], RUN_MS);
      expect(status).toBe(0);
      const run = JSON.parse(stdout) as StartDocument;
      expect(run).toMatchObject({ audits: 1, earlierAudits: [], suppressions: null });
      expect(run.plan?.loopGuard).toBeNull();
    },
    RUN_MS,
  );

  it.each([
    [['--audits', '0'], 'npm start: --audits: "0" is not a whole number from 1 to 30'],
    [['--audits', '31'], 'npm start: --audits: "31" is not a whole number from 1 to 30'],
    [['--audits', 'four'], 'npm start: --audits: "four" is not a whole number from 1 to 30'],
    [['--audits', '2.5'], 'npm start: --audits: "2.5" is not a whole number from 1 to 30'],
    [
      ['--audits', '2', '--preset', 'large'],
      'npm start: --audits: 2 audits need --preset demo (its daily scheduled audit)',
    ],
  ])('refuses %j in one line, exit 2', (args, line) => {
    expect(refusedWith(npmRun('start', args))).toBe(line);
  });

  it('refuses --audits given twice', () => {
    expect(refusedWith(npmRun('start', ['--audits', '2', '--audits', '3']))).toMatch(/^npm start: .*audits/);
  });

  it('documents --audits in --help', () => {
    const { status, stdout } = npmRun('start', ['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('[--audits N]');
    expect(stdout).toContain('--audits N: remediate the demo fleet');
  });
});
