/**
 * How long one ListAuditFindings page takes on the large preset's million lazily generated findings
 * (the emulator's cost per page must not grow with the audit). Timing lives here, not in tests.
 */
import {
  LARGE_AUDIT_ID,
  largeAudit,
  startEmulator,
  VirtualClock,
} from '@device-defender-remediation/local-cloud';

/** ListAuditFindings' largest page. */
const PAGE_SIZE = 250;

export interface FindingsPagesResult {
  readonly pageSize: number;
  readonly pages: number;
  readonly findings: number;
  readonly medianPageMs: number;
  readonly slowestPageMs: number;
}

export async function measureFindingsPages(): Promise<FindingsPagesResult> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const emulator = await startEmulator({ clock, accountId: '123456789012', region: 'us-east-1' });
  try {
    largeAudit(emulator.service, clock.now());
    const pageMs: number[] = [];
    let findings = 0;
    let nextToken: string | undefined;
    do {
      const started = performance.now();
      const page = emulator.service.listAuditFindings({
        taskId: LARGE_AUDIT_ID,
        maxResults: PAGE_SIZE,
        nextToken,
      });
      pageMs.push(performance.now() - started);
      findings += page.findings?.length ?? 0;
      nextToken = page.nextToken;
    } while (nextToken);
    pageMs.sort((a, b) => a - b);
    return {
      pageSize: PAGE_SIZE,
      pages: pageMs.length,
      findings,
      medianPageMs: pageMs[Math.floor(pageMs.length / 2)] ?? 0,
      slowestPageMs: pageMs.at(-1) ?? 0,
    };
  } finally {
    await emulator.close();
  }
}
