// Traffic over the last five minutes, one point a second (stats.series).
import type { StatsSnapshot } from '../../../server/capture/wire-types.ts';
import { formatMs } from '../format.ts';
import { Sparkline } from './Sparkline.tsx';

export function Charts({ stats }: { stats: StatsSnapshot | null }) {
  const series = stats?.series ?? [];
  return (
    <section className="card charts" aria-label="Traffic charts">
      <Sparkline
        title="Exchanges/s"
        format={(v) => v.toFixed(0)}
        lines={[{ label: 'exchanges', values: series.map((b) => b.exchanges), className: 'c-primary' }]}
      />
      <Sparkline
        title="Latency"
        format={(v) => formatMs(v)}
        lines={[
          { label: 'p50', values: series.map((b) => b.p50Ms), className: 'c-primary' },
          { label: 'p95', values: series.map((b) => b.p95Ms), className: 'c-secondary' },
        ]}
      />
      <Sparkline
        title="Replies missing the header"
        format={(v) => `${v.toFixed(0)}%`}
        max={100}
        lines={[
          {
            label: 'missing',
            values: series.map((b) => (b.replies === 0 ? null : (100 * b.missing) / b.replies)),
            className: 'c-bad',
          },
        ]}
      />
    </section>
  );
}
