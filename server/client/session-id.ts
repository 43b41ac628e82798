// Session ids as SessionIDManager makes them: 15 random bytes written 5 bits at a time with the
// alphabet a-z0-5, so 24 characters that never need URL encoding.
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz012345';
export const SESSION_ID_LENGTH = 24;
/** Longer ids are refused by the client before any request (Session_id_too_long). */
export const MAX_SESSION_ID_LENGTH = 80;

export function newSessionId(): string {
  const bytes = randomBytes(15);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}
