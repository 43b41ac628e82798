// Diagnoses and charts, in a pane of their own so the traffic keeps the window.
import { diagnoses, stats } from '../state/meta.ts';
import { proxyState } from '../state/meta.ts';
import { useSlice } from '../state/slice.ts';
import { Charts } from './Charts.tsx';
import { DiagnosisList } from './DiagnosisList.tsx';
import { SessionItemsLargest } from './SessionItemsLargest.tsx';

export function InsightsPane() {
  const diag = useSlice(diagnoses);
  const st = useSlice(stats);
  const state = useSlice(proxyState);
  return (
    <div className="insights">
      <DiagnosisList items={diag} />
      <Charts stats={st} readOnly={state?.readOnly ?? false} />
      <SessionItemsLargest />
    </div>
  );
}
