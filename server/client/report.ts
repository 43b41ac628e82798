// Text rendering of a load run for the terminal: the final summary and the one-line progress.
import { REQUEST_KINDS } from '../protocol/index.ts';
import type { ScenarioReport } from './scenario.ts';
import { NO_REPLY } from './stats.ts';

function pad(text: string | number, width: number, left = false): string {
  const s = String(text);
  return left ? s.padEnd(width) : s.padStart(width);
}

function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** Numeric statuses in order, then "no reply". */
function statusColumns(report: ScenarioReport): string[] {
  const all = new Set<string>();
  for (const byStatus of Object.values(report.operations)) for (const s of Object.keys(byStatus)) all.add(s);
  return [...all].sort((a, b) => (a === NO_REPLY ? 1 : b === NO_REPLY ? -1 : Number(a) - Number(b)));
}

export function formatReport(report: ScenarioReport): string {
  const lines: string[] = [];
  const pacing = report.rate > 0 ? `${report.rate} pages/s` : 'as fast as possible';
  lines.push(
    `statescope load${report.scenario === 'healthy' ? '' : ` --scenario ${report.scenario}`}: ${report.target}, ${report.sessions} session${report.sessions === 1 ? '' : 's'}, ` +
      `${report.elapsedSeconds.toFixed(1)} s, ${pacing}, app restarts: ${report.restarts.length}`,
  );
  const p = report.pages;
  lines.push('');
  lines.push(
    `Pages: ${p.completed} completed, ${p.failed} failed, ${p.gaveUp} gave up` +
      (report.rate > 0 ? `, ${p.skipped} skipped (session busy)` : '') +
      ` - ${report.pagesPerSecond} pages/s`,
  );
  lines.push(`       ${p.lockWaits} lock waits (423), ${p.staleLocksReleased} stale locks released`);
  if (p.locksLeftBehind > 0) lines.push(`       ${p.locksLeftBehind} locks left behind by pages that threw (non-serializable item)`);
  if (p.unchangedWrites > 0) lines.push(`       ${p.unchangedWrites} Sets wrote back the item unchanged`);

  lines.push('');
  const columns = statusColumns(report);
  const kindWidth = 22;
  lines.push(pad('Operations', kindWidth, true) + columns.map((c) => pad(c, 10)).join('') + pad('total', 10));
  for (const kind of REQUEST_KINDS) {
    const byStatus = report.operations[kind];
    if (!byStatus) continue;
    const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
    lines.push(pad('  ' + kind, kindWidth, true) + columns.map((c) => pad(byStatus[c] ?? 0, 10)).join('') + pad(total, 10));
  }
  if (columns.length === 0) lines.push('  (none)');

  lines.push('');
  if (report.errors.length === 0) lines.push('Errors: none');
  else {
    lines.push(`Errors: ${report.errorsTotal}`);
    for (const e of report.errors) {
      const phase = e.phase ? ` [last phase: ${e.phase}]` : '';
      lines.push(`  ${pad(e.count, 7)} x ${e.message}${phase}`);
    }
  }

  const l = report.latencyMs;
  lines.push('');
  lines.push(
    l.count === 0
      ? 'Latency: no replies'
      : `Latency (ms, ${l.count} replies): p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
  );
  return lines.join('\n');
}

export function formatProgress(report: ScenarioReport): string {
  const errors = report.errorsTotal === 0 ? 'no errors' : `${report.errorsTotal} errors`;
  return (
    `${report.elapsedSeconds.toFixed(0)}/${report.durationSeconds} s  ${report.pages.completed} pages ` +
    `(${report.pagesPerSecond}/s)  ${report.operationsTotal} ops  ${errors}  ` +
    `p50 ${ms(report.latencyMs.p50)} ms  restarts ${report.restarts.length}`
  );
}
