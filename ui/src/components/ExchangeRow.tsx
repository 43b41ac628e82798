// One row of the exchange grid. Memoised: with a stable summary object it never re-renders
// while scrolling. Values that can be filtered on are buttons: a click narrows the list to them.
import { memo, type ReactNode } from 'react';
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { OUTCOME_TEXT } from '../outcome-text.ts';
import { formatBytes, formatMs, formatTime, operationOf, shortApp } from '../format.ts';
import type { ColumnDef, ColumnId } from '../state/columns.ts';
import { filterBy, type SearchField } from '../state/filters.ts';
import { MARK_APP_START, MARK_VERSION_FAILS } from '../state/markers.ts';
import { openDetail, select, showSession } from '../state/selection.ts';
import { statusTone, TONE_ICON } from '../status-tone.ts';
import { MarkBadges } from './MarkBadges.tsx';
import { VersionCell } from './VersionCell.tsx';

export const ROW_HEIGHT = 26;

interface Props {
  s: ExchangeSummary;
  index: number;
  top: number;
  selected: boolean;
  /** The row that takes Tab focus (roving tabindex). */
  tabbable: boolean;
  marks: number;
  columns: readonly ColumnDef[];
}

/** A value that narrows the list to itself when clicked. */
function FilterValue({ field, value, children, label }: { field: SearchField; value: string; children: ReactNode; label: string }) {
  return (
    <button
      type="button"
      className="link value"
      tabIndex={-1}
      title={`Show only ${label} ${value}`}
      onClick={(e) => {
        e.stopPropagation();
        filterBy(field, value);
      }}
    >
      {children}
    </button>
  );
}

function cell(id: ColumnId, s: ExchangeSummary, marks: number): ReactNode {
  switch (id) {
    case 'marks':
      return <MarkBadges marks={marks} />;
    case 'time':
      return formatTime(s.startedAt);
    case 'client':
      return (
        <FilterValue field="client" value={s.client} label="client">
          {s.client}
        </FilterValue>
      );
    case 'operation':
      return operationOf(s);
    case 'session':
      return s.sessionId ? (
        <button
          type="button"
          className="link"
          tabIndex={-1}
          title="Show this session's timeline"
          onClick={(e) => {
            e.stopPropagation();
            select(s.id);
            showSession({ sessionId: s.sessionId!, appId: s.appId });
          }}
        >
          {s.sessionId}
        </button>
      ) : (
        '–'
      );
    case 'app':
      return shortApp(s.appId);
    case 'status': {
      const tone = statusTone(s.status, s.outcome);
      return (
        <span className={`status tone-${tone}`} title={s.outcome !== 'ok' ? OUTCOME_TEXT[s.outcome] : undefined}>
          <span aria-hidden="true">{TONE_ICON[tone]} </span>
          {s.status ?? OUTCOME_TEXT[s.outcome]}
          {s.status !== null && s.outcome !== 'ok' && ` ${OUTCOME_TEXT[s.outcome]}`}
        </span>
      );
    }
    case 'version':
      return <VersionCell version={s.version} value={s.versionValue} />;
    case 'lock':
      return s.lockCookie !== null ? (
        <>
          <FilterValue field="cookie" value={s.lockCookie} label="lock cookie">
            {s.lockCookie}
          </FilterValue>
          {s.lockAgeSeconds !== null && <span className="muted"> ({s.lockAgeSeconds}s)</span>}
        </>
      ) : (
        '–'
      );
    case 'latency':
      return formatMs(s.latencyMs);
    case 'sizes':
      return `${formatBytes(s.requestBytes)} / ${formatBytes(s.replyBytes)}`;
  }
}

const NUMERIC: ReadonlySet<ColumnId> = new Set(['latency', 'sizes']);
const MONO: ReadonlySet<ColumnId> = new Set(['time', 'client', 'session', 'lock']);

export const ExchangeRow = memo(function ExchangeRow({ s, index, top, selected, tabbable, marks, columns }: Props) {
  const classes = ['row'];
  if (selected) classes.push('selected');
  if ((marks & MARK_APP_START) !== 0) classes.push('app-start');
  if ((marks & MARK_VERSION_FAILS) !== 0) classes.push('version-fails');
  return (
    <div
      role="row"
      data-testid="exchange-row"
      data-id={s.id}
      aria-rowindex={index + 2}
      aria-selected={selected}
      tabIndex={tabbable ? 0 : -1}
      className={classes.join(' ')}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={() => openDetail(s.id)}
    >
      {columns.map((c, i) => (
        <span
          key={c.id}
          role="gridcell"
          aria-colindex={i + 1}
          data-col={c.id}
          className={`cell${NUMERIC.has(c.id) ? ' num' : ''}${MONO.has(c.id) ? ' mono' : ''}`}
        >
          {cell(c.id, s, marks)}
        </span>
      ))}
    </div>
  );
});
