// "Largest items" across all stored sessions: which key makes sessions big, where it was
// largest, and how much of that session it was. Shown only when item tables exist.
import { useEffect } from 'react';
import { formatBytes } from '../format.ts';
import { showSession } from '../state/selection.ts';
import { itemsOverview, pollWhileShown, refreshItemsOverview } from '../state/session-items.ts';
import { useSlice } from '../state/slice.ts';
import '../styles/session-items.css';
import { proxyState } from '../state/meta.ts';

const ROWS = 10;
/** The server's label for the item stored under the null key. */
const NULL_KEY_LABEL = '(null key)';

export function SessionItemsLargest() {
  const state = useSlice(proxyState);
  const { data } = useSlice(itemsOverview);
  // A live proxy without --session-items has no tables to look for; a saved capture may have.
  const wanted = state !== null && (state.readOnly || (state.sessionItems ?? 'off') !== 'off');
  useEffect(() => (wanted ? pollWhileShown(refreshItemsOverview) : undefined), [wanted]);
  if (!wanted || data === null || data.decoded === 0) return null;

  return (
    <section className="card items-largest" aria-labelledby="items-largest-title">
      <h2 id="items-largest-title">Largest session items</h2>
      <p className="muted small">
        From {data.decoded} session bodies{data.notSessions > 0 ? ` (${data.notSessions} bodies were not readable sessions)` : ''}.
        {data.keys === 'hashed' ? ' Key names are per-run hashes.' : ''} Names, types and sizes only: values are never read.
      </p>
      <table className="items-table">
        <caption className="visually-hidden">Largest session items across sessions</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Type</th>
            <th scope="col" className="num">Largest</th>
            <th scope="col" className="num">Share of its session</th>
            <th scope="col" className="num">Sessions</th>
            <th scope="col">Largest in session</th>
          </tr>
        </thead>
        <tbody>
          {data.largest.slice(0, ROWS).map((item) => (
            <tr key={item.key ?? NULL_KEY_LABEL}>
              <td className="mono">{item.key ?? NULL_KEY_LABEL}</td>
              <td className="mono">{item.className ? `${item.type}: ${item.className}` : item.type}</td>
              <td className="mono num">{formatBytes(item.maxBytes)}</td>
              <td className="mono num">{Math.round(item.shareOfSession * 100)}%</td>
              <td className="mono num">{item.sessions}</td>
              <td>
                {item.sessionId ? (
                  <button type="button" className="link mono" onClick={() => showSession({ sessionId: item.sessionId!, appId: null })}>
                    {item.sessionId}
                  </button>
                ) : (
                  '–'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
