// In the session view: each item's size over the session's Sets and Get replies, so a key that
// keeps growing stands out. One small chart per key, largest first.
import { useEffect } from 'react';
import { formatBytes } from '../format.ts';
import { itemsTimeline, pollWhileShown, refreshItemsTimeline } from '../state/session-items.ts';
import { useSlice } from '../state/slice.ts';
import { Sparkline } from './Sparkline.tsx';
import '../styles/session-items.css';

const MAX_KEYS_SHOWN = 12;

export function SessionItemsOverTime({ sessionId }: { sessionId: string }) {
  const { data, error } = useSlice(itemsTimeline);
  useEffect(() => pollWhileShown(() => refreshItemsTimeline(sessionId)), [sessionId]);
  const current = data !== null && data.sessionId === sessionId ? data : null;

  return (
    <section aria-label="Session items over time" className="items-over-time">
      {/* Not a heading: the session panel's one heading names the session (specs and screen readers rely on it). */}
      <p className="items-title">Session items over time</p>
      {error && <p className="banner error">{error}</p>}
      {current === null || current.points.length === 0 ? (
        <p className="muted small">No item tables for this session (start statescope with --session-items to read them).</p>
      ) : (
        <>
          <Sparkline
            title={`Session size (${current.points.length} bodies)`}
            span="over this session's Sets and Get replies"
            lines={[{ label: 'all items', values: current.points.map((p) => p.valueBytes), className: 'c-primary' }]}
            format={formatBytes}
          />
          <table className="items-table">
            <caption className="visually-hidden">Size of each item over time</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Size over time</th>
                <th scope="col" className="num">Latest</th>
                <th scope="col" className="num">Largest</th>
              </tr>
            </thead>
            <tbody>
              {current.keys.slice(0, MAX_KEYS_SHOWN).map((key) => {
                const values = current.points.map((p) => p.sizes[key] ?? null);
                const seen = values.filter((v): v is number => v !== null);
                return (
                  <tr key={key}>
                    <td className="mono">{key}</td>
                    <td>
                      <Sparkline title={`${key} size`} span="over this session's bodies" lines={[{ label: key, values, className: 'c-secondary' }]} format={formatBytes} />
                    </td>
                    <td className="mono num">{values.at(-1) == null ? 'absent' : formatBytes(values.at(-1)!)}</td>
                    <td className="mono num">{formatBytes(Math.max(...seen))}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {current.keys.length > MAX_KEYS_SHOWN && <p className="muted small">The {MAX_KEYS_SHOWN} largest of {current.keys.length} keys are shown.</p>}
        </>
      )}
    </section>
  );
}
