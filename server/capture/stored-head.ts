// Re-reads a head kept as text (the compact store keeps heads as bytes, and dissects them only
// when someone looks): the same fields the framer reported when it first read those bytes, so
// a record rebuilt from its stored head equals the one built live.
import type { RequestHeadFields, ResponseHeadFields } from './record-builder.ts';

const REQUEST_LINE = /^(\S+) (\S+) (\S+)$/;
const STATUS_LINE = /^(?:(HTTP\/\d+\.\d+) )?(\d{3})(?: (.*))?$/;

function startLine(text: string): string {
  const end = text.indexOf('\r\n');
  return end < 0 ? text : text.slice(0, end);
}

export function requestHeadFromText(text: string, bodySize: number): RequestHeadFields {
  const m = REQUEST_LINE.exec(startLine(text));
  return { verb: m?.[1] ?? '', target: m?.[2] ?? '', text, contentLength: bodySize };
}

export function responseHeadFromText(text: string, bodySize: number): ResponseHeadFields {
  const m = STATUS_LINE.exec(startLine(text));
  return {
    protocol: m?.[1] ?? null,
    status: m ? Number(m[2]) : 0,
    reason: m?.[3] ?? '',
    text,
    bodyLength: bodySize,
  };
}
