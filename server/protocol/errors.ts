// Typed parse errors. The framer never throws on bad input: it reports one of these and stops,
// so the caller (proxy, state server, client) decides what to do: tunnel raw, reply 400, close.

export type ProtocolErrorCode =
  | 'head_too_large'
  | 'too_many_headers'
  | 'body_too_large'
  | 'bad_request_line'
  | 'bad_status_line'
  | 'bad_header_line'
  | 'bad_content_length'
  | 'unsupported_transfer_encoding';

export interface ProtocolError {
  code: ProtocolErrorCode;
  message: string;
  /** Bytes of this direction consumed before the offending message began. */
  offset: number;
}

export function protocolError(code: ProtocolErrorCode, message: string, offset: number): ProtocolError {
  return { code, message, offset };
}
