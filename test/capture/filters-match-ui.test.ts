// The export's filter (server/capture/filters.ts) must say yes and no exactly where the table's
// filter (ui/src/state/filters.ts) does: the UI cannot import server code, so this holds them
// together.
import { describe, expect, it } from 'vitest';
import { EMPTY_FILTERS, InvalidFilterError, matcher, parseFilters, STATUS_FILTERS } from '../../server/capture/filters.ts';
import type { ExchangeFilters, ExchangeSummary, RequestKind, VersionState } from '../../server/capture/wire-types.ts';
import { matcher as uiMatcher } from '../../ui/src/state/filters.ts';

const KINDS: (RequestKind | null)[] = ['Get', 'GetExclusive', 'Set', 'Unknown', null];
const STATUSES = [200, 204, 400, 404, 423, 500, 503, null];
const VERSIONS: VersionState[] = ['present', 'missing', 'injected', 'none'];

function summary(i: number, kind: RequestKind | null, status: number | null, version: VersionState): ExchangeSummary {
  return {
    id: i,
    connectionId: 1,
    client: `10.0.${i % 5}.1:${5000 + (i % 7)}`,
    startedAt: 0,
    latencyMs: 1,
    kind,
    verb: kind ? 'GET' : null,
    sessionId: i % 3 === 0 ? null : `Sess${i}abc`,
    appId: i % 2 === 0 ? '/LM/W3SVC/1/ROOT/Shop' : null,
    appHash: i % 4 === 0 ? 'HaSh+/1=' : null,
    status,
    version,
    versionValue: version === 'present' || version === 'injected' ? `${2 + (i % 3)}.0.30319` : null,
    lockCookie: i % 5 === 0 ? String(i % 13) : null,
    lockAgeSeconds: i % 10 === 0 ? i % 4 : null,
    requestBytes: 0,
    replyBytes: 0,
    outcome: status === null ? 'upstream_refused' : 'ok',
  };
}

describe('export filters', () => {
  it('agree with the UI table filters on every combination', () => {
    const items: ExchangeSummary[] = [];
    let i = 0;
    for (const k of KINDS) for (const s of STATUSES) for (const v of VERSIONS) items.push(summary(i++, k, s, v));
    const texts = ['', 'sess1', ' SHOP ', 'hash+/', 'w3svc/1', 'nothing', 'abc', 'client:10.0.2', '10.0.1.1:5003', 'cookie:1', 'cookie:12', 'status:423', 'status:none', 'header:x-aspnet-version: 3', 'header:lockage', 'op:getexclusive', 'session:sess1 app:shop', 'unknown:x'];
    let compared = 0;
    for (const kind of ['all', 'Get', 'Set', 'Unknown'] as const)
      for (const status of STATUS_FILTERS)
        for (const version of ['all', ...VERSIONS] as const)
          for (const text of texts) {
            const f: ExchangeFilters = { kind, status, version, text };
            const server = matcher(f);
            const ui = uiMatcher(f);
            for (const item of items) {
              expect(server(item), JSON.stringify({ f, item })).toBe(ui(item));
              compared++;
            }
          }
    expect(compared).toBeGreaterThan(100_000);
  });

  it('reads the query string, empty meaning all, and refuses unknown values', () => {
    expect(parseFilters(new URLSearchParams(''))).toEqual(EMPTY_FILTERS);
    expect(parseFilters(new URLSearchParams('kind=GetExclusive&status=423&version=missing&text=abc'))).toEqual({
      kind: 'GetExclusive',
      status: '423',
      version: 'missing',
      text: 'abc',
    });
    expect(parseFilters(new URLSearchParams('kind=&status='))).toEqual(EMPTY_FILTERS);
    for (const q of ['kind=get', 'status=201', 'version=absent', `text=${'x'.repeat(300)}`]) {
      expect(() => parseFilters(new URLSearchParams(q)), q).toThrow(InvalidFilterError);
    }
  });
});
