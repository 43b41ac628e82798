// A captured body (base64 from the record) as a classic offset / hex / ASCII dump.
const MAX_SHOWN = 64 * 1024;

export function HexDump({ base64, truncated, total }: { base64: string; truncated: boolean; total: number }) {
  const bytes = decode(base64);
  const shown = bytes.subarray(0, MAX_SHOWN);
  const lines: string[] = [];
  for (let off = 0; off < shown.length; off += 16) {
    const chunk = shown.subarray(off, off + 16);
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  const more = truncated || bytes.length > shown.length;
  return (
    <>
      <pre className="hexdump mono" tabIndex={0} aria-label="Body as hex">{lines.join('\n') || '(empty)'}</pre>
      {more && (
        <p className="muted small">
          Showing {shown.length} of {total} bytes{truncated ? ' (capture limit reached)' : ''}.
        </p>
      )}
    </>
  );
}

function decode(base64: string): Uint8Array {
  try {
    const text = atob(base64);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  } catch {
    return new Uint8Array();
  }
}
