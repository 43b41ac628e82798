// The resizable side pane: the exchange (its session on a time axis and its detail), or the
// diagnoses and charts, as two tabs.
import { diagnoses } from '../state/meta.ts';
import { closePanels, hasExchangeView, selection, showPane, type Pane } from '../state/selection.ts';
import { useSlice } from '../state/slice.ts';
import { DetailPanel } from './DetailPanel.tsx';
import { InsightsPane } from './InsightsPane.tsx';
import { SessionTimeline } from './SessionTimeline.tsx';
import { Splitter } from './Splitter.tsx';

export function SidePane({ width }: { width: number }) {
  const sel = useSlice(selection);
  const diag = useSlice(diagnoses);
  const pane = sel.pane ?? 'exchange';
  const canShowExchange = hasExchangeView(sel);
  const tab = (id: Pane, label: string, disabled: boolean, badge?: number) => (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={pane === id}
      aria-controls={pane === id ? `panel-${id}` : undefined}
      tabIndex={pane === id ? 0 : -1}
      disabled={disabled}
      onClick={() => showPane(id)}
    >
      {label}
      {badge !== undefined && (
        <span className="count-badge" aria-label={`${badge} diagnoses`}>
          {badge}
        </span>
      )}
    </button>
  );
  return (
    <aside id="side-pane" className="side" style={{ width }} aria-label="Side pane">
      <Splitter width={width} />
      <div className="side-inner">
      <div className="side-tabs">
        <div role="tablist" aria-label="Side pane">
          {tab('exchange', 'Exchange', !canShowExchange)}
          {tab('insights', 'Diagnoses & charts', false, diag.length)}
        </div>
        <button type="button" onClick={closePanels} aria-label="Close side pane">
          ✕
        </button>
      </div>
      <div className="side-body" role="tabpanel" id={`panel-${pane}`} aria-labelledby={`tab-${pane}`}>
        {pane === 'insights' ? (
          <InsightsPane />
        ) : (
          <>
            {sel.session !== null && <SessionTimeline session={sel.session} />}
            {sel.detailOpen && sel.selectedId !== null && <DetailPanel id={sel.selectedId} />}
          </>
        )}
      </div>
      </div>
    </aside>
  );
}
