// First-run help: what to put in web.config, and how to see traffic without an ASP.NET app.
import type { ProxyState } from '../../../server/capture/wire-types.ts';
import { CopyButton } from './CopyButton.tsx';

/** A wildcard listen address is no use in a connection string: ask for the machine's name. */
function connectAddress(listen: string): string {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) return listen;
  const host = match[1]!;
  const wildcard = host === '0.0.0.0' || host === '[::]' || host === '::';
  return `${wildcard ? 'PROXY-HOST' : host}:${match[2]}`;
}

export function EmptyState({ state }: { state: ProxyState | null }) {
  const address = connectAddress(state?.listen ?? 'PROXY-HOST:42425');
  const configLine = `<sessionState mode="StateServer" stateConnectionString="tcpip=${address}" />`;
  return (
    <section className="card empty-state pad" aria-labelledby="empty-title">
      <h2 id="empty-title">No exchanges yet</h2>
      {state?.readOnly ? (
        <p>This saved capture contains no exchanges.</p>
      ) : (
        <>
          <p>
            Point your ASP.NET application at statescope instead of the state server. In its <code>web.config</code>,
            inside <code>&lt;system.web&gt;</code>:
          </p>
          <CopyLine text={configLine} label="Copy web.config line" />
          {address.startsWith('PROXY-HOST') && (
            <p className="muted small">Replace PROXY-HOST with this machine&apos;s name or address.</p>
          )}
          <p>Then load any page that uses session state; its requests to the state server appear here live.</p>
          <p>No ASP.NET app at hand? Generate realistic traffic from another terminal:</p>
          <CopyLine text={`npx statescope load --target ${address}`} label="Copy load command" />
          <p className="muted small">
            Or run <code>npm run demo</code> in the statescope checkout for a proxy, an embedded state server and
            traffic in one go.
          </p>
        </>
      )}
    </section>
  );
}

function CopyLine({ text, label }: { text: string; label: string }) {
  return (
    <div className="copy-line">
      <code className="mono">{text}</code>
      <CopyButton text={() => text} label={label} />
    </div>
  );
}
