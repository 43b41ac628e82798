// The server's diagnoses, worst first, each with links to exchanges that show it. Rendering is
// generic (title, explanation, evidence), so new rules need nothing here. While the keyboard or
// the mouse is in the list it holds still: live updates would otherwise replace the evidence
// links under the user's focus.
import { useState } from 'react';
import type { Diagnosis } from '../../../server/capture/wire-types.ts';
import { openDetail } from '../state/selection.ts';

const RANK = { error: 0, warning: 1, info: 2 } as const;
const ICON = { error: '✕', warning: '⚠', info: 'ℹ' } as const;

export function DiagnosisList({ items }: { items: Diagnosis[] }) {
  const [held, setHeld] = useState<Diagnosis[] | null>(null);
  const [focused, setFocused] = useState(false);
  const [hovered, setHovered] = useState(false);
  const hold = (on: boolean, set: (v: boolean) => void, other: boolean): void => {
    set(on);
    if (on && held === null) setHeld(items);
    if (!on && !other) setHeld(null);
  };
  const shown = held ?? items;
  const sorted = [...shown].sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.count - a.count);
  return (
    <section
      className="diagnoses"
      aria-labelledby="diagnoses-title"
      onFocus={() => hold(true, setFocused, hovered)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) hold(false, setFocused, hovered);
      }}
      onMouseEnter={() => hold(true, setHovered, focused)}
      onMouseLeave={() => hold(false, setHovered, focused)}
    >
      <h2 id="diagnoses-title">
        Diagnoses <span className="count-badge">{shown.length}</span>
        {held !== null && <span className="muted small"> (held while you look)</span>}
      </h2>
      {sorted.length === 0 ? (
        <p className="muted">Nothing to report.</p>
      ) : (
        <ul>
          {sorted.map((d) => (
            <li key={d.id} className={`diagnosis severity-${d.severity}`} data-testid="diagnosis" aria-labelledby={`diagnosis-${d.id}`}>
              <div className="diagnosis-title" id={`diagnosis-${d.id}`}>
                <span aria-hidden="true">{ICON[d.severity]} </span>
                <strong>{d.title}</strong>
                <span className="muted">
                  {' '}
                  ({d.severity}, {d.count}×)
                </span>
              </div>
              <p>{d.detail}</p>
              {d.evidence.length > 0 && (
                <p className="evidence">
                  Seen in:{' '}
                  {d.evidence.map((id) => (
                    <button key={id} type="button" className="link" onClick={() => openDetail(id)} aria-label={`Open exchange ${id}`}>
                      #{id}
                    </button>
                  ))}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
