// The request target is HttpUtility.UrlEncode(appId + "(" + appHash + ")/" + sessionId)
// (protocol notes §3). Decoding is for display only; the proxy forwards the raw bytes.

export interface DecodedTarget {
  /** Fully decoded unique id, e.g. /LM/W3SVC/1/ROOT/WebApp(hash)/sessionid */
  key: string;
  appId: string | null;
  appHash: string | null;
  sessionId: string | null;
}

const UNRESERVED = /[A-Za-z0-9\-_.!*()]/;
const HEX_PAIR = /^[0-9a-fA-F]{2}$/;

/** HttpUtility.UrlEncode: UTF-8, space as '+', lower-case hex, `-_.!*()` kept. */
export function urlEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += '%' + byte.toString(16).padStart(2, '0');
  }
  return out;
}

/** Form-style decoding as the managed server does it: '+' is a space, %xx are UTF-8 bytes. */
export function urlDecode(text: string): string {
  // Fast path (every exchange of the relay goes through here): the engine's own decoder.
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return lenientDecode(text);
  }
}

/** Decodes what it can and keeps malformed escapes literally, as a display must not fail. */
function lenientDecode(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) bytes.push(0x20);
    else if (c === 0x25 && HEX_PAIR.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(text[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

export function buildTarget(appId: string, appHash: string, sessionId: string): string {
  const id = appId.startsWith('/') ? appId : '/' + appId;
  return urlEncode(`${id}(${appHash})/${sessionId}`);
}

/**
 * Splits a target into app id, hash and session id. The session id is what follows the last
 * ")/", the hash is between the last "(" before it and that ")": hashes contain "/" and "+",
 * so splitting on "/" would be wrong.
 */
export function decodeTarget(rawTarget: string): DecodedTarget {
  // 1.x clients send a raw //LM/... path; the server strips one slash (protocol notes §3.3).
  const key = urlDecode(rawTarget.startsWith('//') ? rawTarget.slice(1) : rawTarget);
  const close = key.lastIndexOf(')/');
  if (close < 0) return { key, appId: null, appHash: null, sessionId: null };
  const open = key.lastIndexOf('(', close);
  if (open < 0) return { key, appId: null, appHash: null, sessionId: key.slice(close + 2) };
  return {
    key,
    appId: key.slice(0, open),
    appHash: key.slice(open + 1, close),
    sessionId: key.slice(close + 2),
  };
}
