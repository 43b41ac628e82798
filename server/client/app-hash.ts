// The "(hash)" part of the request target. 4.5+ clients use Base64(SHA-256(UTF-8 appId)), a
// 44-character value (protocol notes §3.1); older keyed hashes depend on the machine key, so
// callers that emulate them pass their own hash instead.
import { createHash, createHmac } from 'node:crypto';

export const DEFAULT_APP_ID = '/LM/W3SVC/1/ROOT/WebApp';

/** HttpRuntime.AppDomainAppId as the client uses it: hosts that omit the leading '/' get one. */
export function normalizeAppId(appId: string): string {
  return appId.startsWith('/') ? appId : '/' + appId;
}

export function appIdHash(appId: string): string {
  return createHash('sha256').update(normalizeAppId(appId), 'utf8').digest('base64');
}

/**
 * A stand-in for the 2.0-4.0 hash: 28 Base64 characters keyed by the machine's validation key.
 * The exact algorithm is not public (protocol notes §3.1); HMAC-SHA1 has the same shape, which
 * is what a web farm mixing framework versions shows on the wire.
 */
export function legacyAppIdHash(appId: string, machineKey: string): string {
  return createHmac('sha1', machineKey).update(normalizeAppId(appId), 'utf8').digest('base64');
}
