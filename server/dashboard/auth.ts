// Who may talk to the dashboard. The dashboard can flip injection and clear the capture, so
// anything reachable from another machine needs a token; on loopback the Host/Origin checks
// below keep other web pages (CSRF, DNS rebinding) out without bothering the operator.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = stripBrackets(host).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The token in force: the one given, else a fresh one when listening beyond loopback. */
export function resolveToken(host: string, given: string | undefined): string | null {
  if (given !== undefined && given !== '') return given;
  if (isLoopbackHost(host)) return null;
  return randomBytes(18).toString('base64url');
}

/** Constant-time comparison; hashing first makes the lengths equal, so length leaks nothing. */
export function tokenMatches(expected: string, candidate: string | null): boolean {
  if (candidate === null) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(candidate).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export function queryToken(url: URL): string | null {
  return url.searchParams.get('token');
}

/**
 * A browser always sends Origin on ws upgrades and cross-site POSTs; when it does, it must be
 * this very dashboard (scheme://Host as the browser addressed it). Tools without a browser
 * send no Origin and are judged by the token alone.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  if (!host) return false;
  const o = origin.toLowerCase();
  const h = host.toLowerCase();
  return o === `http://${h}` || o === `https://${h}`;
}

/**
 * Without a token, a DNS-rebinding page (evil.example resolving to 127.0.0.1) would pass the
 * Origin check because its Host header matches its Origin; insisting on a loopback Host name
 * (or the literal address we bound) closes that door.
 */
export function hostAllowedWithoutToken(req: IncomingMessage, boundHost: string): boolean {
  const host = req.headers.host;
  if (!host) return true; // HTTP/1.0 tools; no browser omits Host
  const name = hostNameOf(host);
  return isLoopbackHost(name) || name === stripBrackets(boundHost).toLowerCase();
}

function hostNameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
