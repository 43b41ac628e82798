// One session's exchanges in order, from the client-side list, with lock acquire/release and
// 423s called out: the quickest way to see who holds a lock and for how long.
import { useMemo } from 'react';
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { formatMs, formatTime, operationOf } from '../format.ts';
import { exchanges } from '../state/exchanges.ts';
import { closePanels, openDetail, type SessionKey } from '../state/selection.ts';
import { useSlice } from '../state/slice.ts';
import { SessionItemsOverTime } from './SessionItemsOverTime.tsx';

interface Marker {
  icon: string;
  text: string;
  tone: 'lock' | 'release' | 'locked' | 'other';
}

function markerOf(s: ExchangeSummary): Marker | null {
  if (s.kind === 'GetExclusive' && s.status === 200 && s.lockCookie) {
    return { icon: '▲', text: `lock acquired (cookie ${s.lockCookie})`, tone: 'lock' };
  }
  if ((s.kind === 'Set' || s.kind === 'ReleaseExclusive') && s.status === 200) {
    return { icon: '▼', text: 'lock released', tone: 'release' };
  }
  if (s.status === 423) {
    const age = s.lockAgeSeconds !== null ? `, lock age ${s.lockAgeSeconds} s` : '';
    return { icon: '✕', text: `423 locked by another request (cookie ${s.lockCookie ?? '?'}${age})`, tone: 'locked' };
  }
  if (s.kind === 'Remove' && s.status === 200) return { icon: '–', text: 'session removed', tone: 'other' };
  return null;
}

export function SessionTimeline({ session }: { session: SessionKey }) {
  const items = useSlice(exchanges).items;
  const entries = useMemo(
    () =>
      items
        .filter((s) => s.sessionId === session.sessionId && (session.appId === null || s.appId === session.appId))
        .sort((a, b) => a.startedAt - b.startedAt || a.id - b.id),
    [items, session],
  );

  return (
    <aside className="side-panel timeline" data-testid="session-timeline" aria-label={`Session ${session.sessionId} timeline`}>
      <div className="panel-head">
        <h2>
          Session <span className="mono">{session.sessionId}</span>
        </h2>
        <button type="button" onClick={closePanels} aria-label="Close timeline">
          ✕ Close
        </button>
      </div>
      {session.appId && <p className="muted mono small">{session.appId}</p>}
      {entries.length === 0 ? (
        <p className="muted">No exchanges of this session are in the list any more.</p>
      ) : (
        <ol className="timeline-list">
          {entries.map((s) => {
            const marker = markerOf(s);
            return (
              <li key={s.id} className={marker ? `tl-${marker.tone}` : undefined}>
                <button type="button" className="timeline-item" onClick={() => openDetail(s.id)} aria-label={`Open exchange ${s.id}`}>
                  <span className="mono">{formatTime(s.startedAt)}</span>
                  <span>{operationOf(s)}</span>
                  <span className="mono">{s.status ?? 'no reply'}</span>
                  <span className="muted">{formatMs(s.latencyMs)}</span>
                </button>
                {marker && (
                  <span className="marker">
                    <span aria-hidden="true">{marker.icon} </span>
                    {marker.text}
                  </span>
                )}
              </li>
            );
          })}
        </ol>
      )}
      <SessionItemsOverTime sessionId={session.sessionId} />
    </aside>
  );
}
