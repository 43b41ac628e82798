// The "(hash)" part of the request target. 4.5+ clients use Base64(SHA-256(UTF-8 appId)), a
// 44-character value (protocol notes §3.1); older keyed hashes depend on the machine key, so
// callers that emulate them pass their own hash instead.
import { createHash } from 'node:crypto';

export const DEFAULT_APP_ID = '/LM/W3SVC/1/ROOT/WebApp';

/** HttpRuntime.AppDomainAppId as the client uses it: hosts that omit the leading '/' get one. */
export function normalizeAppId(appId: string): string {
  return appId.startsWith('/') ? appId : '/' + appId;
}

export function appIdHash(appId: string): string {
  return createHash('sha256').update(normalizeAppId(appId), 'utf8').digest('base64');
}
