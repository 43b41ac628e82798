// Plain REST calls to the dashboard server, with the bearer token when there is one.
import type {
  ExchangeFilters,
  ExchangeRecord,
  InjectionRule,
  ProxyState,
  SnapshotResponse,
} from '../../../server/capture/wire-types.ts';
import { getToken } from './token.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const token = getToken();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (init.body !== undefined) headers.set('Content-Type', 'application/json');
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error?: string }).error ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, message);
  }
  return (await res.json()) as T;
}

export const fetchSnapshot = (limit = 5000): Promise<SnapshotResponse> => call(`/api/snapshot?limit=${limit}`);

export const fetchExchange = (id: number): Promise<ExchangeRecord> => call(`/api/exchanges/${id}`);

export const setInjection = (rule: Partial<InjectionRule>): Promise<ProxyState> =>
  call('/api/injection', { method: 'POST', body: JSON.stringify(rule) });

export const setCapturePaused = (paused: boolean): Promise<ProxyState> =>
  call('/api/capture', { method: 'POST', body: JSON.stringify({ paused }) });

export const clearCapture = (): Promise<unknown> => call('/api/clear', { method: 'POST', body: '{}' });

/** A plain link so the browser streams the download itself; downloads cannot send headers. */
export function exportUrl(): string {
  const token = getToken();
  return token ? `/api/export.jsonl?token=${encodeURIComponent(token)}` : '/api/export.jsonl';
}

/** HAR of what the table shows: the filters travel as query parameters of the same names. */
export function exportHarUrl(filters: ExchangeFilters): string {
  const params = new URLSearchParams();
  if (filters.kind !== 'all') params.set('kind', filters.kind);
  if (filters.status !== 'all') params.set('status', filters.status);
  if (filters.version !== 'all') params.set('version', filters.version);
  if (filters.text.trim() !== '') params.set('text', filters.text.trim());
  const token = getToken();
  if (token) params.set('token', token);
  const query = params.toString();
  return query ? `/api/export.har?${query}` : '/api/export.har';
}
