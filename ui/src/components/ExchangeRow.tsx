// One table row. Memoised: with a stable summary object it never re-renders while scrolling.
import { memo } from 'react';
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';
import { OUTCOME_TEXT } from '../outcome-text.ts';
import { formatBytes, formatMs, formatTime, operationOf, shortApp } from '../format.ts';
import { openDetail, showSession } from '../state/selection.ts';
import { VersionCell } from './VersionCell.tsx';

export const ROW_HEIGHT = 28;

interface Props {
  s: ExchangeSummary;
  index: number;
  top: number;
  selected: boolean;
}

export const ExchangeRow = memo(function ExchangeRow({ s, index, top, selected }: Props) {
  return (
    <div
      role="row"
      data-testid="exchange-row"
      data-id={s.id}
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={`row${selected ? ' selected' : ''}${s.outcome !== 'ok' ? ' failed' : ''}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={() => openDetail(s.id)}
    >
      <span role="cell" className="cell mono">
        {formatTime(s.startedAt)}
      </span>
      <span role="cell" className="cell mono" title={`connection ${s.connectionId}`}>
        {s.client}
      </span>
      <span role="cell" className="cell">
        {operationOf(s)}
      </span>
      <span role="cell" className="cell mono">
        {s.sessionId ? (
          <button
            type="button"
            className="link"
            title="Show this session's timeline"
            onClick={(e) => {
              e.stopPropagation();
              showSession({ sessionId: s.sessionId!, appId: s.appId });
            }}
          >
            {s.sessionId}
          </button>
        ) : (
          '–'
        )}
      </span>
      <span role="cell" className="cell" title={s.appId ?? undefined}>
        {shortApp(s.appId)}
      </span>
      <span role="cell" className={`cell status status-${s.status ?? 'none'}`}>
        {s.status ?? <span title={OUTCOME_TEXT[s.outcome]}>✕ {OUTCOME_TEXT[s.outcome]}</span>}
        {s.status !== null && s.outcome !== 'ok' && <span title={OUTCOME_TEXT[s.outcome]}> ✕ {OUTCOME_TEXT[s.outcome]}</span>}
      </span>
      <span role="cell" className="cell">
        <VersionCell version={s.version} value={s.versionValue} />
      </span>
      <span role="cell" className="cell mono">
        {s.lockCookie ?? '–'}
        {s.lockAgeSeconds !== null && <span className="muted"> ({s.lockAgeSeconds}s)</span>}
      </span>
      <span role="cell" className="cell num">
        {formatMs(s.latencyMs)}
      </span>
      <span role="cell" className="cell num">
        {formatBytes(s.requestBytes)} / {formatBytes(s.replyBytes)}
      </span>
    </div>
  );
});
