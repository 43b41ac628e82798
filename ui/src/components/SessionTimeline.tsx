// One session on a time axis: lock hold bars (who held the lock, from GetExclusive to its
// release), the 423 waiters, forced releases, and every exchange as a tick; below, the same
// exchanges as a list (the keyboard's way in), each opening its detail.
import { useMemo } from 'react';
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { formatMs, formatTime, operationOf } from '../format.ts';
import { exchanges } from '../state/exchanges.ts';
import { closePanels, openDetail, type SessionKey } from '../state/selection.ts';
import { sessionLocks, type LockHold } from '../state/session-locks.ts';
import { useSlice } from '../state/slice.ts';
import { SessionItemsOverTime } from './SessionItemsOverTime.tsx';
import { statusTone } from '../status-tone.ts';

interface Marker {
  icon: string;
  text: string;
  tone: 'lock' | 'release' | 'locked' | 'forced' | 'other';
}

function markerOf(s: ExchangeSummary, forced: boolean): Marker | null {
  if (s.kind === 'GetExclusive' && s.status === 200 && s.lockCookie) {
    return { icon: '▲', text: `lock acquired (cookie ${s.lockCookie})`, tone: 'lock' };
  }
  if (forced) return { icon: '⚡', text: `forced release: a waiter broke lock ${s.lockCookie ?? '?'}`, tone: 'forced' };
  if ((s.kind === 'Set' || s.kind === 'ReleaseExclusive') && s.status === 200) {
    return { icon: '▼', text: 'lock released', tone: 'release' };
  }
  if (s.status === 423) {
    const age = s.lockAgeSeconds !== null ? `, lock age ${s.lockAgeSeconds} s` : '';
    return { icon: '⚠', text: `423 locked by another request (cookie ${s.lockCookie ?? '?'}${age})`, tone: 'locked' };
  }
  if (s.kind === 'Remove' && s.status === 200) return { icon: '–', text: 'session removed', tone: 'other' };
  return null;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
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
  const locks = useMemo(() => sessionLocks(entries), [entries]);

  return (
    <section className="side-panel timeline" data-testid="session-timeline" aria-label={`Session ${session.sessionId} timeline`}>
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
        <>
          <TimeAxis entries={entries} holds={locks.holds} waits={locks.waits} forced={locks.forcedReleaseIds} />
          <HoldList holds={locks.holds} />
          <ol className="timeline-list" aria-label="Exchanges of this session">
            {entries.map((s) => {
              const marker = markerOf(s, locks.forcedReleaseIds.has(s.id));
              return (
                <li key={s.id} className={marker ? `tl-${marker.tone}` : undefined}>
                  <button type="button" className="timeline-item" onClick={() => openDetail(s.id)} aria-label={`Open exchange ${s.id}`}>
                    <span className="mono">{formatTime(s.startedAt)}</span>
                    <span>{operationOf(s)}</span>
                    <span className={`mono tone-${statusTone(s.status, s.outcome)}`}>{s.status ?? 'no reply'}</span>
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
        </>
      )}
      <SessionItemsOverTime sessionId={session.sessionId} />
    </section>
  );
}

function TimeAxis({
  entries,
  holds,
  waits,
  forced,
}: {
  entries: readonly ExchangeSummary[];
  holds: LockHold[];
  waits: ExchangeSummary[];
  forced: Set<number>;
}) {
  const t0 = entries[0]!.startedAt;
  const t1 = Math.max(t0 + 1, ...entries.map((s) => s.startedAt + (s.latencyMs ?? 0)));
  const span = t1 - t0;
  const x = (t: number): string => `${(100 * (t - t0)) / span}%`;
  const w = (a: number, b: number): string => `max(3px, ${(100 * (b - a)) / span}%)`;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const summary = `${entries.length} exchanges over ${seconds(span)}; ${holds.length} lock holds; ${waits.length} replies 423 Locked; ${forced.size} forced releases`;
  return (
    <figure className="time-axis" aria-label="Session time axis">
      <figcaption className="small muted">{summary}</figcaption>
      <div className="axis-lanes" role="img" aria-label={summary}>
        <div className="lane">
          <span className="lane-label">Lock</span>
          <div className="lane-track">
            {holds.map((h) => {
              const end = h.end ?? t1;
              const title = `Lock ${h.cookie} held by ${h.holder} (connection ${h.holderConnection}) for ${seconds(end - h.start)}${
                h.end === null ? ', not released in the list' : `, released by ${h.releasedBy}${h.forced ? ' (forced by a waiter)' : ''}`
              }; ${h.waiters} waiters got 423`;
              return (
                <div
                  key={h.acquireId}
                  className={`hold${h.forced ? ' forced' : ''}${h.end === null ? ' open' : ''}`}
                  data-testid="lock-hold"
                  style={{ left: x(h.start), width: w(h.start, end) }}
                  title={title}
                />
              );
            })}
          </div>
        </div>
        <div className="lane">
          <span className="lane-label">423</span>
          <div className="lane-track">
            {waits.map((s) => (
              <div
                key={s.id}
                className="tick wait"
                data-testid="lock-wait"
                style={{ left: x(s.startedAt) }}
                title={`423 to ${s.client} (connection ${s.connectionId}) at ${formatTime(s.startedAt)}: lock ${s.lockCookie ?? '?'}, age ${s.lockAgeSeconds ?? '?'} s`}
              />
            ))}
          </div>
        </div>
        <div className="lane">
          <span className="lane-label">All</span>
          <div className="lane-track">
            {entries.map((s) => (
              <div
                key={s.id}
                className={`tick tone-bg-${statusTone(s.status, s.outcome)}${forced.has(s.id) ? ' forced' : ''}`}
                style={{ left: x(s.startedAt) }}
                title={`${formatTime(s.startedAt)} ${operationOf(s)} ${s.status ?? 'no reply'}`}
              />
            ))}
          </div>
        </div>
        <div className="axis-ticks" aria-hidden="true">
          {ticks.map((f) => (
            <span key={f} style={{ left: `${f * 100}%` }}>
              +{seconds(f * span)}
            </span>
          ))}
        </div>
      </div>
    </figure>
  );
}

function HoldList({ holds }: { holds: LockHold[] }) {
  if (holds.length === 0) return <p className="muted small">No lock taken in the listed exchanges.</p>;
  return (
    <div className="holds-scroll" tabIndex={0} role="region" aria-label="Lock holds">
    <table className="holds small">
      <caption className="visually-hidden">Lock holds</caption>
      <thead>
        <tr>
          <th scope="col">Cookie</th>
          <th scope="col">Holder</th>
          <th scope="col">Held</th>
          <th scope="col">Waiters</th>
          <th scope="col">Released by</th>
        </tr>
      </thead>
      <tbody>
        {holds.map((h) => (
          <tr key={h.acquireId} className={h.forced ? 'forced' : undefined}>
            <td className="mono">{h.cookie}</td>
            <td className="mono">
              {h.holder} <span className="muted">#{h.holderConnection}</span>
            </td>
            <td>{h.end === null ? 'still held' : seconds(h.end - h.start)}</td>
            <td>{h.waiters}</td>
            <td>{h.end === null ? '–' : h.forced ? `⚡ forced ${h.releasedBy}` : h.releasedBy}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}
