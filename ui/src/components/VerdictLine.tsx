// The verdict in one line: does ASP.NET receive X-AspNet-Version? It tells what the upstream
// sent from what ASP.NET received (an injected header is a fix, not an error), and follows the
// injection switch at once. "Details" opens the counts, ASP.NET's exact error and the fixes.
import { useEffect, useId, useRef, useState } from 'react';
import type { ProxyState } from '../../../server/capture/wire-types.ts';
import { controls } from '../api/backend.ts';
import { exchanges } from '../state/exchanges.ts';
import { stats } from '../state/meta.ts';
import { useSlice, useSliceValue } from '../state/slice.ts';
import { computeVerdict, countWithoutSince, RECENT_SECONDS, type Verdict } from '../state/verdict.ts';

const NEED_V2_TEXT =
  'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';
const ICON = { neutral: '○', good: '✓', fixed: '⊕', warn: '⚠', bad: '✕' } as const;

/** When injection went on, on the server's clock (null: off, or on before this page loaded). */
function useInjectionSince(state: ProxyState | null): number | null {
  const st = useSlice(stats);
  const offset = useRef(0);
  // Measured when a snapshot arrives, so a late render does not shift it.
  useEffect(() => {
    if (st) offset.current = st.now - Date.now();
  }, [st]);
  const enabled = state?.injection.enabled ?? false;
  const [since, setSince] = useState<number | null>(null);
  const previous = useRef<boolean | null>(null);
  useEffect(() => {
    if (previous.current === false && enabled) setSince(Date.now() + offset.current);
    if (!enabled) setSince(null);
    previous.current = enabled;
  }, [enabled]);
  return since;
}

export function VerdictLine({ state }: { state: ProxyState | null }) {
  const st = useSlice(stats);
  const since = useInjectionSince(state);
  // Reads the list only while injection is on and its start is known.
  const withoutSince = useSliceValue(exchanges, (l) => (since === null ? null : countWithoutSince(l.items, since)));
  const v = computeVerdict(st, state, withoutSince);
  const [open, setOpen] = useState(false);
  const detailsId = useId();

  return (
    <section className={`verdict verdict-${v.tone}`} aria-label="Verdict" data-testid="verdict-card" data-tone={v.tone}>
      <p className="verdict-line">
        <span aria-hidden="true" className="verdict-icon">
          {ICON[v.tone]}
        </span>
        <span className="verdict-text">{v.line}</span>
        <button type="button" className="link" aria-expanded={open} aria-controls={open ? detailsId : undefined} onClick={() => setOpen(!open)}>
          {open ? 'Hide details' : 'Details'}
        </button>
      </p>
      {open && <VerdictDetails id={detailsId} v={v} state={state} />}
    </section>
  );
}

function VerdictDetails({ id, v, state }: { id: string; v: Verdict; state: ProxyState | null }) {
  const injecting = state?.injection.enabled ?? false;
  const readOnly = state?.readOnly ?? true;
  const where = readOnly ? `in the capture's last ${v.windowMinutes} minutes` : `in the last ${v.windowMinutes} minutes`;
  return (
    <div id={id} className="verdict-details">
      <ul className="verdict-counts">
        <li>
          Upstream sent X-AspNet-Version: present in {v.upstreamPresent} of {v.replies} replies {where}
        </li>
        {v.injected > 0 && (
          <li>
            <span className="version-injected">⊕ {v.injected}</span> missing upstream, injected by statescope (ASP.NET received the header)
          </li>
        )}
        <li>
          <span className={v.reachedWithout > 0 ? 'version-missing' : 'version-present'}>
            {v.reachedWithout > 0 ? '✕' : '✓'} {v.reachedWithout}
          </span>{' '}
          missing and passed on without the header (reached ASP.NET without it) {where}
          {!readOnly && `; ${v.recentWithout} in the last ${RECENT_SECONDS} s`}
          {v.withoutSinceInjection !== null && `; ${v.withoutSinceInjection} since injection went on`}
        </li>
      </ul>
      {v.upstreamMissing > 0 && (
        <div className="advice">
          <p>
            Without this header, ASP.NET throws on the <strong>first session request after each app start</strong> (app pool
            recycle, deploy, config change), then works until the next start:
          </p>
          <blockquote className="mono error-text">{NEED_V2_TEXT}</blockquote>
          <p>Fix it in one of two ways:</p>
          <ol>
            <li>
              On the state server machine, keep <code>{'<httpRuntime enableVersionHeader="true"/>'}</code> at machine level (the
              framework&apos;s root <code>web.config</code> / <code>machine.config</code> used by aspnet_state), set{' '}
              <code>false</code> only in the application&apos;s own web.config, then restart the ASP.NET State Service.
            </li>
            <li>
              Or let statescope add the header to every reply that lacks it.{' '}
              {injecting ? (
                <strong>Injection is on.</strong>
              ) : (
                !readOnly && (
                  <button type="button" onClick={() => void controls.enableInjection()}>
                    Turn on header injection
                  </button>
                )
              )}
            </li>
          </ol>
        </div>
      )}
    </div>
  );
}
