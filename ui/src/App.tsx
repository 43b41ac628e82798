// Page layout: header and controls, verdict and diagnoses, charts, the live table, and the
// side panels (detail, session timeline).
import { Charts } from './components/Charts.tsx';
import { DetailPanel } from './components/DetailPanel.tsx';
import { DiagnosisList } from './components/DiagnosisList.tsx';
import { EmptyState } from './components/EmptyState.tsx';
import { ExchangeTable } from './components/ExchangeTable.tsx';
import { Header } from './components/Header.tsx';
import { SessionItemsLargest } from './components/SessionItemsLargest.tsx';
import { SessionTimeline } from './components/SessionTimeline.tsx';
import { TokenScreen } from './components/TokenScreen.tsx';
import { VerdictCard } from './components/VerdictCard.tsx';
import { exchanges } from './state/exchanges.ts';
import { connection, diagnoses, proxyState, stats } from './state/meta.ts';
import { selection } from './state/selection.ts';
import { useSlice } from './state/slice.ts';

export function App() {
  const conn = useSlice(connection);
  const state = useSlice(proxyState);
  const st = useSlice(stats);
  const diag = useSlice(diagnoses);
  const empty = useSlice(exchanges).items.length === 0;
  const sel = useSlice(selection);

  if (conn.status === 'unauthorized') return <TokenScreen detail={conn.detail} />;

  const loaded = state !== null;
  const nothingYet = loaded && empty && (st?.totals.exchanges ?? 0) === 0;
  const sideOpen = (sel.detailOpen && sel.selectedId !== null) || sel.session !== null;

  return (
    <div className={sideOpen ? 'app with-side' : 'app'}>
      <Header state={state} />
      <main className="main">
        <div className="overview">
          <VerdictCard stats={st} state={state} />
          <DiagnosisList items={diag} />
          <Charts stats={st} />
          <SessionItemsLargest />
        </div>
        {!loaded ? <p className="muted">Connecting to statescope…</p> : nothingYet ? <EmptyState state={state} /> : <ExchangeTable />}
      </main>
      {sideOpen && (
        <div className="side">
          {sel.session !== null && <SessionTimeline session={sel.session} />}
          {sel.detailOpen && sel.selectedId !== null && <DetailPanel id={sel.selectedId} />}
        </div>
      )}
    </div>
  );
}
