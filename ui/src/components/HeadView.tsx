// A message head exactly as on the wire: each line ends with a visible CR LF marker, and the
// line statescope injected is shown where it went (after the status line) and labelled.
import { Fragment } from 'react';

interface Props {
  head: string;
  label: string;
  injectedLine?: string;
}

export function HeadView({ head, label, injectedLine }: Props) {
  // Split keeping the exact terminators, so a bare LF (not CR LF) is visible as such.
  const lines = head.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return (
    <pre className="head mono" aria-label={label} tabIndex={0}>
      {lines.map((line, i) => (
        <Fragment key={i}>
          <Line text={line} />
          {i === 0 && injectedLine !== undefined && (
            <>
              <span className="injected-line" title="Added by statescope; the upstream reply did not have it">
                {injectedLine}
                <Eol text={'\r\n'} />
                <span className="injected-label"> ← injected by statescope</span>
              </span>
              {/* The line break goes after the inline-block, or the next line runs on beside it. */}
              {'\n'}
            </>
          )}
        </Fragment>
      ))}
    </pre>
  );
}

function Line({ text }: { text: string }) {
  const eol = text.endsWith('\r\n') ? '\r\n' : text.endsWith('\n') ? '\n' : '';
  const body = text.slice(0, text.length - eol.length);
  return (
    <>
      {body}
      {eol && <Eol text={eol} />}
      {eol && '\n'}
    </>
  );
}

function Eol({ text }: { text: string }) {
  return (
    <span className="eol" aria-hidden="true">
      {text === '\r\n' ? '\\r\\n' : '\\n'}
    </span>
  );
}
