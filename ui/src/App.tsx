// Page layout, traffic first: a compact strip on top (route, injection, verdict), the exchange
// list taking the rest of the window, and a resizable side pane for the exchange's detail and
// session, or for diagnoses and charts.
import { EmptyState } from './components/EmptyState.tsx';
import { ExchangeGrid } from './components/ExchangeGrid.tsx';
import { SidePane } from './components/SidePane.tsx';
import { TokenScreen } from './components/TokenScreen.tsx';
import { TopStrip } from './components/TopStrip.tsx';
import { exchanges } from './state/exchanges.ts';
import { connection, proxyState, stats } from './state/meta.ts';
import { hasExchangeView, selection } from './state/selection.ts';
import { clampSide, sideWidth } from './state/side-width.ts';
import { useSlice, useSliceValue } from './state/slice.ts';
import { useEffect, useState } from 'react';

function useWindowWidth(): number {
  const [w, setW] = useState(window.innerWidth);
  useEffect(() => {
    const on = (): void => setW(window.innerWidth);
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return w;
}

export function App() {
  const conn = useSlice(connection);
  const state = useSlice(proxyState);
  const st = useSlice(stats);
  // Only whether the list is empty: App must not re-render at every batch of live rows.
  const empty = useSliceValue(exchanges, (l) => l.items.length === 0);
  const sel = useSlice(selection);
  const width = clampSide(useSlice(sideWidth), useWindowWidth());

  if (conn.status === 'unauthorized') return <TokenScreen detail={conn.detail} rejected={conn.rejected} />;

  const loaded = state !== null;
  const nothingYet = loaded && empty && (st?.totals.exchanges ?? 0) === 0;
  const sideOpen = sel.pane === 'insights' || (sel.pane === 'exchange' && hasExchangeView(sel));

  return (
    <div className="app">
      <TopStrip state={state} />
      <div className="workspace">
        <main className="main">
          {!loaded ? <p className="muted pad">Connecting to statescope…</p> : nothingYet ? <EmptyState state={state} /> : <ExchangeGrid />}
        </main>
        {sideOpen && <SidePane width={width} />}
      </div>
    </div>
  );
}
