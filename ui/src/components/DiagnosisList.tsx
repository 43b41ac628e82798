// The server's diagnoses, worst first, each with links to exchanges that show it.
import type { Diagnosis } from '../../../server/capture/wire-types.ts';
import { openDetail } from '../state/selection.ts';

const RANK = { error: 0, warning: 1, info: 2 } as const;
const ICON = { error: '✕', warning: '⚠', info: 'ℹ' } as const;

export function DiagnosisList({ items }: { items: Diagnosis[] }) {
  if (items.length === 0) {
    return (
      <section className="card diagnoses diagnoses-none" aria-labelledby="diagnoses-title">
        <h2 id="diagnoses-title">Diagnoses</h2>
        <p className="muted">Nothing to report.</p>
      </section>
    );
  }
  const sorted = [...items].sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.count - a.count);
  return (
    <section className="card diagnoses" aria-labelledby="diagnoses-title">
      <h2 id="diagnoses-title">Diagnoses</h2>
      <ul>
        {sorted.map((d) => (
          <li key={d.id} className={`diagnosis severity-${d.severity}`} data-testid="diagnosis">
            <div className="diagnosis-title">
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
    </section>
  );
}
