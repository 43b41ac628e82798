// The verdict in one line: does ASP.NET receive X-AspNet-Version? It tells what the upstream
// sent from what ASP.NET received (an injected header is a fix, not an error), and follows the
// injection switch at once. "Details" opens the counts, ASP.NET's exact error and the fixes.
import { useId, useState } from 'react';
import type { ProxyState } from '../../../server/capture/wire-types.ts';
import { controls } from '../api/backend.ts';
import { stats } from '../state/meta.ts';
import { useSlice } from '../state/slice.ts';
import { computeVerdict, RECENT_SECONDS, type Verdict } from '../state/verdict.ts';

const NEED_V2_TEXT =
  'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';
const ICON = { neutral: '○', good: '✓', fixed: '⊕', warn: '⚠', bad: '✕' } as const;

export function VerdictLine({ state }: { state: ProxyState | null }) {
  const st = useSlice(stats);
  const v = computeVerdict(st, state);
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
          {v.sinceInjection !== null && `; ${v.sinceInjection.onTheWire} since injection went on (already on the wire at the switch)`}
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
