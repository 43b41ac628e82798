// Where the proxy listens and what it forwards to, upstream health, and the global controls.
import type { ProxyState } from '../../../server/capture/wire-types.ts';
import { controls } from '../api/backend.ts';
import { exportHarUrl, exportUrl } from '../api/rest.ts';
import { filters, isFiltering } from '../state/filters.ts';
import { controlError, connection } from '../state/meta.ts';
import { useSlice } from '../state/slice.ts';
import { InjectionSwitch } from './InjectionSwitch.tsx';

export function Header({ state }: { state: ProxyState | null }) {
  const conn = useSlice(connection);
  const error = useSlice(controlError);
  const f = useSlice(filters);
  const readOnly = state?.readOnly ?? false;
  const exports = (
    <>
      <a className="button" href={exportUrl()} download>
        Export JSONL
      </a>
      <a
        className="button"
        href={exportHarUrl(f)}
        download
        title={isFiltering(f) ? 'HAR 1.2 of the exchanges the current filters show' : 'HAR 1.2 of every stored exchange'}
      >
        Export HAR
      </a>
    </>
  );

  return (
    <header className="app-header" role="banner">
      <div className="brand">
        <h1>statescope</h1>
        {state && <span className="muted">v{state.version}</span>}
        <ConnectionBadge status={conn.status} detail={conn.detail} />
        {readOnly && (
          <span className="badge readonly" title={state?.source}>
            Read-only{state?.source ? `: ${state.source}` : ''}
          </span>
        )}
      </div>
      {state && readOnly && (
        <dl className="route" aria-label="Saved capture">
          <div>
            <dt>Saved capture</dt>
            <dd className="mono">{state.source ?? ''}</dd>
          </div>
          <div>
            <dt>Recorded from</dt>
            <dd className="mono">{state.upstream || 'unknown'}</dd>
          </div>
        </dl>
      )}
      {state && !readOnly && (
        <dl className="route" aria-label="Proxy route">
          <div>
            <dt>Listening on</dt>
            <dd className="mono">{state.listen}</dd>
          </div>
          <div>
            <dt>Forwarding to</dt>
            <dd className="mono">
              {state.upstream}
              {state.upstreamEmbedded && <span className="note"> (embedded state server)</span>}
            </dd>
          </div>
          <div>
            <dt>Upstream</dt>
            <dd>
              <Reachability reachable={state.upstreamReachable} />
            </dd>
          </div>
        </dl>
      )}
      {state && !readOnly && (
        <div className="controls">
          <InjectionSwitch rule={state.injection} disabled={readOnly} />
          <div className="buttons" role="group" aria-label="Capture controls">
            <button type="button" onClick={() => void controls.setCapturePaused(!state.capturePaused)}>
              {state.capturePaused ? 'Resume capture' : 'Pause capture'}
            </button>
            <button type="button" onClick={() => void controls.clear()}>
              Clear
            </button>
            {exports}
          </div>
        </div>
      )}
      {state && readOnly && (
        <div className="controls">
          <div className="buttons" role="group" aria-label="Export">
            {exports}
          </div>
        </div>
      )}
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

function Reachability({ reachable }: { reachable: boolean | null }) {
  if (reachable === null) return <span className="status-unknown">? not checked yet</span>;
  return reachable ? (
    <span className="status-ok">✓ reachable</span>
  ) : (
    <span className="status-bad">✕ unreachable</span>
  );
}

function ConnectionBadge({ status, detail }: { status: string; detail: string | null }) {
  const text = status === 'live' ? '● live' : status === 'connecting' ? '○ connecting…' : status === 'reconnecting' ? '○ reconnecting…' : '✕ token required';
  return (
    <span className={`badge conn-${status}`} role="status" aria-label={`Dashboard connection: ${status}`} title={detail ?? undefined}>
      {text}
    </span>
  );
}
