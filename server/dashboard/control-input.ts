// Validation of the control bodies, so a bad value is a clear 400 here rather than a broken
// header on the wire later.
import type { InjectionRule } from '../capture/wire-types.ts';
import { HttpError } from './http-util.ts';

const VERSION_VALUE = /^(\d{1,4})\.(\d{1,4})\.(\d{1,6})$/;

export function parseInjectionBody(body: Record<string, unknown>): Partial<InjectionRule> {
  const rule: Partial<InjectionRule> = {};
  if ('enabled' in body) {
    if (typeof body.enabled !== 'boolean') throw new HttpError(400, '"enabled" must be true or false');
    rule.enabled = body.enabled;
  }
  if ('value' in body) {
    if (typeof body.value !== 'string') throw new HttpError(400, '"value" must be a string such as "4.0.30319"');
    const value = body.value.trim();
    const match = VERSION_VALUE.exec(value);
    if (!match) {
      throw new HttpError(400, `"value" must look like 4.0.30319 (major.minor.build), got "${body.value}"`);
    }
    // ASP.NET 2.0+ rejects any state server whose major version is below 2 (protocol notes §7.4).
    if (Number(match[1]) < 2) {
      throw new HttpError(400, `"value" must have a major version of 2 or more (ASP.NET rejects ${value}); use 4.0.30319 or 2.0.50727`);
    }
    rule.value = value;
  }
  if (rule.enabled === undefined && rule.value === undefined) {
    throw new HttpError(400, 'expected "enabled" and/or "value"');
  }
  return rule;
}

export function parseCaptureBody(body: Record<string, unknown>): boolean {
  if (typeof body.paused !== 'boolean') throw new HttpError(400, '"paused" must be true or false');
  return body.paused;
}
