// The full record of one exchange, fetched by id: its status in words and colour, its markers,
// raw heads (copyable byte for byte), decoded fields (values a click filters the list by),
// timings, outcome, bodies.
import { useEffect, useState, type ReactNode } from 'react';
import type { ExchangeRecord, WireHeader } from '../../../server/capture/wire-types.ts';
import { ApiError, fetchExchange } from '../api/rest.ts';
import { formatMs, formatTime, operationOf } from '../format.ts';
import { exchanges, marksOf } from '../state/exchanges.ts';
import { filterBy, type SearchField } from '../state/filters.ts';
import { MARK_APP_START, MARK_CONNECTION, MARK_VERSION_FAILS } from '../state/markers.ts';
import { closePanels, showSession } from '../state/selection.ts';
import { useSliceValue } from '../state/slice.ts';
import { statusMeaning, statusTone, TONE_ICON } from '../status-tone.ts';
import { CopyButton } from './CopyButton.tsx';
import { MARK_WORDS } from './MarkBadges.tsx';
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
  const marks = useSliceValue(exchanges, (l) => marksOf(l, id));
  return (
    <section className="side-panel detail" data-testid="detail-panel" aria-label={`Exchange ${id} detail`}>
      <div className="panel-head">
        <h2>Exchange #{id}</h2>
        <button type="button" onClick={closePanels} aria-label="Close detail">
          ✕ Close
        </button>
      </div>
      {current === null && <p className="muted">Loading…</p>}
      {current !== null && 'error' in current && <p className="banner error">{current.error}</p>}
      {current !== null && 'record' in current && <RecordView r={current.record} marks={marks} />}
    </section>
  );
}

function header(headers: WireHeader[] | undefined, name: string): string | null {
  const found = headers?.find(([n]) => n.toLowerCase() === name.toLowerCase());
  return found ? found[1] : null;
}

/** The reply head as ASP.NET received it: the injected line goes right after the status line. */
export function receivedHead(head: string, injectedLine: string | undefined): string {
  if (injectedLine === undefined) return head;
  const eol = head.indexOf('\n');
  return eol === -1 ? head : `${head.slice(0, eol + 1)}${injectedLine}\r\n${head.slice(eol + 1)}`;
}

function Filterable({ field, value, label }: { field: SearchField; value: string | null; label: string }) {
  if (value === null) return <>–</>;
  return (
    <button type="button" className="link mono value" title={`Show only exchanges with this ${label}`} onClick={() => filterBy(field, value)}>
      {value}
    </button>
  );
}

function RecordView({ r, marks }: { r: ExchangeRecord; marks: number }) {
  const { request: q, reply: p } = r;
  const version = p ? (p.injected ? 'injected' : p.versionHeader.present ? 'present' : 'missing') : 'none';
  const tone = statusTone(p?.status ?? null, r.outcome);
  const fields: [string, ReactNode][] = [
    ['Operation', q ? `${operationOf(q)} (${q.verb})` : '–'],
    ['Session id', q?.sessionId ? (
      <button type="button" className="link mono" onClick={() => showSession({ sessionId: q.sessionId!, appId: q.appId })}>
        {q.sessionId}
      </button>
    ) : '–'],
    ['App id', <Filterable key="a" field="app" value={q?.appId ?? null} label="app id" />],
    ['App hash', q?.appHash ?? '–'],
    ['Target', q?.target ?? '–'],
    ['Lock cookie (request)', <Filterable key="cq" field="cookie" value={q?.lockCookie ?? null} label="lock cookie" />],
    ['Lock cookie (reply)', <Filterable key="cp" field="cookie" value={p?.lockCookie ?? null} label="lock cookie" />],
    ['Lock age', p?.lockAgeSeconds != null ? `${p.lockAgeSeconds} s` : '–'],
    ['Lock date (ticks)', p?.lockDateTicks ?? '–'],
    ['Timeout (request)', withUnit(header(q?.headers, 'Timeout'), 'min')],
    ['Timeout (reply)', withUnit(header(p?.headers, 'Timeout'), 'min')],
    ['Action flags', p?.actionFlags ?? '–'],
    ['Exclusive', header(q?.headers, 'Exclusive') ?? '–'],
    ['Extra flags', header(q?.headers, 'ExtraFlags') ?? '–'],
    ['Status', p ? <span key="s" className={`tone-${tone}`}>{`${p.protocol ? p.protocol + ' ' : ''}${p.status} ${p.reason}`}</span> : 'no reply'],
    ['X-AspNet-Version', <VersionCell key="v" version={version} value={p?.versionHeader.value ?? null} />],
    ['Version major read by ASP.NET', p ? String(p.injected ? injectedMajor(p.injectedLine) : p.versionHeader.major) : '–'],
    ['Client', <span key="c"><Filterable field="client" value={r.client} label="client address" /> (connection {r.connectionId})</span>],
    ['Upstream', r.upstream],
    ['Started', `${formatTime(r.startedAt)} (${new Date(r.startedAt).toISOString()})`],
    ['First byte', formatMs(r.firstByteMs)],
    ['Latency', formatMs(r.latencyMs)],
    ['Request body', q ? `${q.bodySize} bytes` : '–'],
    ['Reply body', p ? `${p.bodySize} bytes` : '–'],
  ];

  const asJson = (): string => JSON.stringify(r, null, 2);
  return (
    <div className="record">
      <p className={`outcome tone-${tone}`} data-testid="detail-status" data-tone={tone}>
        <strong>
          <span aria-hidden="true">{TONE_ICON[tone]} </span>
          {p ? `${p.status} ${p.reason}` : 'No reply'}
        </strong>{' '}
        <span>{statusMeaning(p?.status ?? null, r.outcome)}</span>
        {r.error && <span> — {r.error}</span>}
      </p>
      {marks !== 0 && (
        <ul className="detail-marks" aria-label="Markers">
          {(marks & MARK_CONNECTION) !== 0 && <li>⇢ {MARK_WORDS.connection} (#{r.connectionId})</li>}
          {(marks & MARK_APP_START) !== 0 && <li>⟳ {MARK_WORDS.appStart}</li>}
          {(marks & MARK_VERSION_FAILS) !== 0 && <li className="tone-bad">✕ {MARK_WORDS.versionFails}</li>}
        </ul>
      )}
      <div className="buttons copy-buttons">
        {q && <CopyButton text={() => q.head} label="Copy request head" >Copy request head</CopyButton>}
        {p && <CopyButton text={() => receivedHead(p.head, p.injected ? p.injectedLine : undefined)} label="Copy reply head" >Copy reply head</CopyButton>}
        <CopyButton text={asJson} label="Copy exchange as JSON">Copy as JSON</CopyButton>
      </div>
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
