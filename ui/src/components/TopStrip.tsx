// The compact strip on top: where the proxy listens and what it forwards to, upstream health,
// the injection switch, the diagnoses pane's button, capture controls, and the one-line verdict.
// A saved capture (read-only) shows where it came from instead, and no live controls.
import type { ProxyState } from '../../../server/capture/wire-types.ts';
import { controls } from '../api/backend.ts';
import { exportHarUrl, exportUrl } from '../api/rest.ts';
import { filters, isFiltering } from '../state/filters.ts';
import { markFilter } from '../state/mark-filter.ts';
import { controlError, connection, diagnoses } from '../state/meta.ts';
import { selection, showPane } from '../state/selection.ts';
import { useSlice } from '../state/slice.ts';
import { InjectionSwitch } from './InjectionSwitch.tsx';
import { VerdictLine } from './VerdictLine.tsx';

export function TopStrip({ state }: { state: ProxyState | null }) {
  const conn = useSlice(connection);
  const error = useSlice(controlError);
  const readOnly = state?.readOnly ?? false;

  return (
    <header className="top-strip">
      <div className="strip-row">
        <div className="brand">
          <h1>statescope</h1>
          {state && <span className="muted small">v{state.version}</span>}
          {readOnly ? (
            <>
              <span className="badge readonly" title={state?.source}>
                Saved capture (read-only)
              </span>
              {conn.status !== 'live' && <ConnectionBadge status={conn.status} detail={conn.detail} />}
            </>
          ) : (
            <ConnectionBadge status={conn.status} detail={conn.detail} />
          )}
        </div>
        {state && <Route state={state} />}
        {state && !readOnly && <InjectionSwitch rule={state.injection} disabled={false} />}
        <div className="strip-actions">
          <DiagnosesButton />
          {state && !readOnly && (
            <div className="buttons" role="group" aria-label="Capture controls">
              <button type="button" onClick={() => void controls.setCapturePaused(!state.capturePaused)}>
                {state.capturePaused ? 'Resume capture' : 'Pause capture'}
              </button>
              <button type="button" onClick={() => void controls.clear()}>
                Clear
              </button>
            </div>
          )}
          <Exports />
        </div>
      </div>
      <VerdictLine state={state} />
      {state?.capturePaused && (
        <p className="banner warning" role="status">
          Capture paused: traffic is still relayed, but new exchanges are not recorded.
        </p>
      )}
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
    </header>
  );
}

function Route({ state }: { state: ProxyState }) {
  if (state.readOnly) {
    return (
      <dl className="route" aria-label="Saved capture">
        <div>
          <dt>File</dt>
          <dd className="mono">{state.source ?? ''}</dd>
        </div>
        <div>
          <dt>Recorded from</dt>
          <dd className="mono">{state.upstream || 'unknown'}</dd>
        </div>
      </dl>
    );
  }
  return (
    <dl className="route" aria-label="Proxy route">
      <div>
        <dt>Listening on</dt>
        <dd className="mono">{state.listen}</dd>
      </div>
      <div>
        <dt>Forwarding to</dt>
        <dd className="mono">
          {state.upstream}
          {state.upstreamEmbedded && <span className="note"> (embedded)</span>}{' '}
          <Reachability reachable={state.upstreamReachable} />
        </dd>
      </div>
    </dl>
  );
}

function DiagnosesButton() {
  const items = useSlice(diagnoses);
  const { pane } = useSlice(selection);
  const open = pane === 'insights';
  const worst = items.some((d) => d.severity === 'error') ? 'error' : items.some((d) => d.severity === 'warning') ? 'warning' : 'info';
  return (
    <button
      type="button"
      className="diagnoses-button"
      aria-pressed={open}
      aria-controls={open ? 'side-pane' : undefined}
      onClick={() => showPane(open ? null : 'insights')}
    >
      Diagnoses & charts{' '}
      <span className={`count-badge severity-${items.length === 0 ? 'none' : worst}`} aria-label={`${items.length} diagnoses`}>
        {items.length}
      </span>
    </button>
  );
}

function Exports() {
  const f = useSlice(filters);
  const mark = useSlice(markFilter);
  const note = mark !== 'all' ? ' (the marker filter is not applied to exports)' : '';
  return (
    <div className="buttons" role="group" aria-label="Export">
      <a className="button" href={exportUrl()} download>
        Export JSONL
      </a>
      <a
        className="button"
        href={exportHarUrl(f)}
        download
        title={(isFiltering(f) ? 'HAR 1.2 of the exchanges the current filters show' : 'HAR 1.2 of every stored exchange') + note}
      >
        Export HAR
      </a>
    </div>
  );
}

function Reachability({ reachable }: { reachable: boolean | null }) {
  if (reachable === null) return <span className="tone-neutral">? not checked yet</span>;
  return reachable ? <span className="tone-good">✓ reachable</span> : <span className="tone-bad">✕ unreachable</span>;
}

function ConnectionBadge({ status, detail }: { status: string; detail: string | null }) {
  const text = status === 'live' ? '● live' : status === 'connecting' ? '○ connecting…' : status === 'reconnecting' ? '○ reconnecting…' : '✕ token required';
  return (
    <span className={`badge conn-${status}`} role="status" aria-label={`Dashboard connection: ${status}`} title={detail ?? undefined}>
      {text}
    </span>
  );
}
