// Names the client operation behind a request (protocol notes §4) from verb and headers.
import { getHeader, parseIntHeader, type RawHeader } from './headers.ts';

export const REQUEST_KINDS = [
  'Get',
  'GetExclusive',
  'ReleaseExclusive',
  'Set',
  'CreateUninitialized',
  'Remove',
  'ResetTimeout',
  'Unknown',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export function classifyRequest(verb: string, headers: readonly RawHeader[]): RequestKind {
  return classifyRequestBy(verb, verb === 'GET' ? getHeader(headers, 'Exclusive') : undefined, verb === 'PUT' ? getHeader(headers, 'ExtraFlags') : undefined);
}

/** The same from the two headers that decide it (for a caller that read them already). */
export function classifyRequestBy(verb: string, exclusive: string | undefined, extraFlags: string | undefined): RequestKind {
  switch (verb) {
    case 'GET': {
      if (exclusive === undefined) return 'Get';
      const mode = exclusive.toLowerCase();
      if (mode === 'acquire') return 'GetExclusive';
      if (mode === 'release') return 'ReleaseExclusive';
      return 'Unknown';
    }
    case 'PUT': {
      const flags = parseIntHeader(extraFlags);
      return flags !== undefined && !Number.isNaN(flags) && (flags & 1) === 1 ? 'CreateUninitialized' : 'Set';
    }
    case 'DELETE':
      return 'Remove';
    case 'HEAD':
      return 'ResetTimeout';
    default:
      return 'Unknown';
  }
}
