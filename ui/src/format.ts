// Display formatting shared by the views.
import type { ExchangeSummary, VersionState } from '../../server/capture/wire-types.ts';

export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function operationOf(s: Pick<ExchangeSummary, 'kind' | 'verb'>): string {
  if (s.kind && s.kind !== 'Unknown') return s.kind;
  return s.verb ?? '–';
}

/** Words for the version header cell; 'none' means there was no reply to carry it. */
export const VERSION_LABEL: Record<VersionState, string> = {
  present: 'present',
  missing: 'missing',
  injected: 'injected',
  none: 'no reply',
};

/** Short app name for the table: the last path segment of the app id. */
export function shortApp(appId: string | null): string {
  if (!appId) return '–';
  const parts = appId.split('/').filter(Boolean);
  return parts.at(-1) ?? appId;
}
