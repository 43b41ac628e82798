// The answer to "is the version header getting through?", in words, with what ASP.NET will do
// about it and how to fix it.
import type { ProxyState, StatsSnapshot } from '../../../server/capture/wire-types.ts';
import { controls } from '../api/backend.ts';

export const NEED_V2_TEXT =
  'Unable to use session state server because this version of ASP.NET requires session state server version 2.0 or above.';

export function VerdictCard({ stats, state }: { stats: StatsSnapshot | null; state: ProxyState | null }) {
  const w = stats?.window;
  const minutes = Math.round((w?.seconds ?? 300) / 60);
  const missingUpstream = w?.versionMissing ?? 0;
  const injected = Math.min(w?.injected ?? 0, missingUpstream);
  const notInjected = missingUpstream - injected;
  const tone = !w || w.replies === 0 ? 'neutral' : notInjected > 0 ? 'bad' : missingUpstream > 0 ? 'warn' : 'good';

  return (
    <section className={`card verdict verdict-${tone}`} data-testid="verdict-card" aria-labelledby="verdict-title">
      <h2 id="verdict-title">
        <span aria-hidden="true">{tone === 'good' ? '✓ ' : tone === 'bad' ? '✕ ' : tone === 'warn' ? '⚠ ' : ''}</span>
        X-AspNet-Version header
      </h2>
      {!w || w.replies === 0 ? (
        <p>No replies in the last {minutes} minutes yet.</p>
      ) : (
        <>
          <p className="verdict-line">
            X-AspNet-Version present in {w.versionPresent} of {w.replies} replies in the last {minutes} minutes
          </p>
          {injected > 0 && (
            <p>
              <span className="version-injected">⊕ {injected}</span> missing upstream, injected by statescope
            </p>
          )}
          {notInjected > 0 && (
            <p>
              <span className="version-missing">✕ {notInjected}</span> missing and passed on without the header
            </p>
          )}
        </>
      )}
      {missingUpstream > 0 && <MissingAdvice injecting={state?.injection.enabled ?? false} readOnly={state?.readOnly ?? true} />}
    </section>
  );
}

function MissingAdvice({ injecting, readOnly }: { injecting: boolean; readOnly: boolean }) {
  return (
    <div className="advice">
      <p>
        Without this header, ASP.NET throws on the <strong>first session request after each app start</strong>{' '}
        (app pool recycle, deploy, config change), then works until the next start:
      </p>
      <blockquote className="mono error-text">{NEED_V2_TEXT}</blockquote>
      <p>Fix it in one of two ways:</p>
      <ol>
        <li>
          On the state server machine, keep <code>{'<httpRuntime enableVersionHeader="true"/>'}</code> at machine level
          (the framework&apos;s root <code>web.config</code> / <code>machine.config</code> used by aspnet_state), set{' '}
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
  );
}
