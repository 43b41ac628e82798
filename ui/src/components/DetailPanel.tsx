// The full record of one exchange, fetched by id: raw heads, decoded fields, timings, outcome,
// bodies.
import { useEffect, useState, type ReactNode } from 'react';
import type { ExchangeRecord, WireHeader } from '../../../server/capture/wire-types.ts';
import { ApiError, fetchExchange } from '../api/rest.ts';
import { formatMs, formatTime, operationOf } from '../format.ts';
import { OUTCOME_TEXT } from '../outcome-text.ts';
import { closePanels, showSession } from '../state/selection.ts';
import { HeadView } from './HeadView.tsx';
import { HexDump } from './HexDump.tsx';
import { SessionItemsDetail } from './SessionItemsTable.tsx';
import { VersionCell } from './VersionCell.tsx';

type Load = { id: number; record: ExchangeRecord } | { id: number; error: string } | null;

export function DetailPanel({ id }: { id: number }) {
  const [load, setLoad] = useState<Load>(null);
  useEffect(() => {
    let live = true;
    fetchExchange(id).then(
      (record) => live && setLoad({ id, record }),
      (err: unknown) =>
        live &&
        setLoad({
          id,
          error: err instanceof ApiError && err.status === 404 ? `Exchange #${id} is no longer stored (evicted or cleared).` : String(err),
        }),
    );
    return () => {
      live = false;
    };
  }, [id]);

  const current = load !== null && load.id === id ? load : null;
  return (
    <aside className="side-panel detail" data-testid="detail-panel" aria-label={`Exchange ${id} detail`}>
      <div className="panel-head">
        <h2>Exchange #{id}</h2>
        <button type="button" onClick={closePanels} aria-label="Close detail">
          ✕ Close
        </button>
      </div>
      {current === null && <p className="muted">Loading…</p>}
      {current !== null && 'error' in current && <p className="banner error">{current.error}</p>}
      {current !== null && 'record' in current && <RecordView r={current.record} />}
    </aside>
  );
}

function header(headers: WireHeader[] | undefined, name: string): string | null {
  const found = headers?.find(([n]) => n.toLowerCase() === name.toLowerCase());
  return found ? found[1] : null;
}

function RecordView({ r }: { r: ExchangeRecord }) {
  const { request: q, reply: p } = r;
  const version = p ? (p.injected ? 'injected' : p.versionHeader.present ? 'present' : 'missing') : 'none';
  const fields: [string, ReactNode][] = [
    ['Operation', q ? `${operationOf(q)} (${q.verb})` : '–'],
    ['Session id', q?.sessionId ? (
      <button type="button" className="link mono" onClick={() => showSession({ sessionId: q.sessionId!, appId: q.appId })}>
        {q.sessionId}
      </button>
    ) : '–'],
    ['App id', q?.appId ?? '–'],
    ['App hash', q?.appHash ?? '–'],
    ['Target', q?.target ?? '–'],
    ['Lock cookie (request)', q?.lockCookie ?? '–'],
    ['Lock cookie (reply)', p?.lockCookie ?? '–'],
    ['Lock age', p?.lockAgeSeconds != null ? `${p.lockAgeSeconds} s` : '–'],
    ['Lock date (ticks)', p?.lockDateTicks ?? '–'],
    ['Timeout (request)', withUnit(header(q?.headers, 'Timeout'), 'min')],
    ['Timeout (reply)', withUnit(header(p?.headers, 'Timeout'), 'min')],
    ['Action flags', p?.actionFlags ?? '–'],
    ['Exclusive', header(q?.headers, 'Exclusive') ?? '–'],
    ['Extra flags', header(q?.headers, 'ExtraFlags') ?? '–'],
    ['Status', p ? `${p.protocol ? p.protocol + ' ' : ''}${p.status} ${p.reason}` : 'no reply'],
    ['X-AspNet-Version', <VersionCell key="v" version={version} value={p?.versionHeader.value ?? null} />],
    ['Version major read by ASP.NET', p ? String(p.injected ? injectedMajor(p.injectedLine) : p.versionHeader.major) : '–'],
    ['Client', `${r.client} (connection ${r.connectionId})`],
    ['Upstream', r.upstream],
    ['Started', `${formatTime(r.startedAt)} (${new Date(r.startedAt).toISOString()})`],
    ['First byte', formatMs(r.firstByteMs)],
    ['Latency', formatMs(r.latencyMs)],
    ['Request body', q ? `${q.bodySize} bytes` : '–'],
    ['Reply body', p ? `${p.bodySize} bytes` : '–'],
  ];

  return (
    <div className="record">
      <p className={r.outcome === 'ok' ? 'outcome ok' : 'outcome banner error'} role={r.outcome === 'ok' ? undefined : 'alert'}>
        <strong>{r.outcome === 'ok' ? '✓ ' : '✕ '}{OUTCOME_TEXT[r.outcome]}</strong>
        {r.error && <span> — {r.error}</span>}
      </p>
      <dl className="fields">
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className="mono">{v}</dd>
          </div>
        ))}
      </dl>
      <SessionItemsDetail record={r} />
      <h3>Request head</h3>
      {q ? <HeadView head={q.head} label="Request head as on the wire" /> : <p className="muted">No request captured.</p>}
      {q?.body !== undefined && (
        <>
          <h3>Request body</h3>
          <HexDump base64={q.body} truncated={q.bodyTruncated ?? false} total={q.bodySize} />
        </>
      )}
      <h3>Reply head</h3>
      {p ? (
        <HeadView head={p.head} label="Reply head as on the wire" injectedLine={p.injected ? p.injectedLine : undefined} />
      ) : (
        <p className="muted">No reply: statescope closed the client connection, as a dead state server would.</p>
      )}
      {p?.body !== undefined && (
        <>
          <h3>Reply body</h3>
          <HexDump base64={p.body} truncated={p.bodyTruncated ?? false} total={p.bodySize} />
        </>
      )}
    </div>
  );
}

function withUnit(value: string | null, unit: string): string {
  return value === null ? '–' : `${value} ${unit}`;
}

function injectedMajor(line: string | undefined): string {
  const match = line ? /:\s*(\d+)/.exec(line) : null;
  return match ? `${match[1]} (injected)` : 'injected';
}
