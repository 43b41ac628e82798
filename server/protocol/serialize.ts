// Builds message bytes from parsed fields. Used by the state server and the client emulator
// to write messages, and by tests to prove the parser loses nothing.
import type { RawHeader } from './headers.ts';
import type { RequestHead, ResponseHead } from './messages.ts';

function headerBlock(headers: readonly RawHeader[]): string {
  let out = '';
  for (const h of headers) out += `${h.name}: ${h.value}\r\n`;
  return out;
}

export function serializeRequestHead(head: Pick<RequestHead, 'verb' | 'target' | 'version' | 'headers'>): Buffer {
  return Buffer.from(`${head.verb} ${head.target} ${head.version}\r\n${headerBlock(head.headers)}\r\n`, 'latin1');
}

export function serializeResponseHead(head: Pick<ResponseHead, 'protocol' | 'status' | 'reason' | 'headers'>): Buffer {
  const status = `${head.status}${head.reason === '' ? '' : ' ' + head.reason}`;
  const line = head.protocol ? `${head.protocol} ${status}` : status;
  return Buffer.from(`${line}\r\n${headerBlock(head.headers)}\r\n`, 'latin1');
}
