// Traffic over the last five minutes (of the capture, for a saved one), one point a second. The
// header chart shows both sides: what the upstream sent without it, and what reached ASP.NET
// without it (after injection).
import type { StatsSnapshot } from '../../../server/capture/wire-types.ts';
import { formatMs } from '../format.ts';
import { Sparkline } from './Sparkline.tsx';

export function Charts({ stats, readOnly }: { stats: StatsSnapshot | null; readOnly: boolean }) {
  const series = stats?.series ?? [];
  const span = readOnly ? "The capture's last 5 minutes" : 'Last 5 minutes';
  const pct = (n: number, of: number): number | null => (of === 0 ? null : (100 * n) / of);
  return (
    <section className="charts" aria-labelledby="charts-title">
      <h2 id="charts-title">Charts <span className="muted small">({span.toLowerCase()})</span></h2>
      <Sparkline
        title="Exchanges/s"
        span={span}
        format={(v) => v.toFixed(0)}
        lines={[{ label: 'exchanges', values: series.map((b) => b.exchanges), className: 'c-primary' }]}
      />
      <Sparkline
        title="Latency"
        span={span}
        format={(v) => formatMs(v)}
        lines={[
          { label: 'p50', values: series.map((b) => b.p50Ms), className: 'c-primary' },
          { label: 'p95', values: series.map((b) => b.p95Ms), className: 'c-secondary' },
        ]}
      />
      <Sparkline
        title="Replies without the header"
        span={span}
        format={(v) => `${v.toFixed(0)}%`}
        max={100}
        lines={[
          { label: 'sent by upstream', values: series.map((b) => pct(b.missing, b.replies)), className: 'c-secondary' },
          { label: 'reached ASP.NET', values: series.map((b) => pct(Math.max(0, b.missing - b.injected), b.replies)), className: 'c-bad' },
        ]}
      />
    </section>
  );
}
