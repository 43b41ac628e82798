import { describe, expect, it } from 'vitest';
import {
  buildTarget,
  classifyRequest,
  decodeTarget,
  insertHeaderAfterStartLine,
  majorVersion,
  urlEncode,
} from '../../server/protocol/index.ts';

describe('target encoding and decoding', () => {
  it('encodes like HttpUtility.UrlEncode with lower-case hex', () => {
    expect(urlEncode('/a b+c=d(é)!*-_.')).toBe('%2fa+b%2bc%3dd(%c3%a9)!*-_.');
  });

  it('round-trips hashes containing / and + and splits on the last ")/"', () => {
    const target = buildTarget('/LM/W3SVC/1/ROOT/App(1)', 'ab/c+d=', 'sess1');
    expect(target.startsWith('%2f')).toBe(true);
    expect(target).not.toContain('/');
    expect(decodeTarget(target)).toEqual({
      key: '/LM/W3SVC/1/ROOT/App(1)(ab/c+d=)/sess1',
      appId: '/LM/W3SVC/1/ROOT/App(1)',
      appHash: 'ab/c+d=',
      sessionId: 'sess1',
    });
  });

  it('prefixes a slash to app ids without one and strips one from 1.x double-slash targets', () => {
    expect(decodeTarget(buildTarget('App', 'h', 's')).appId).toBe('/App');
    expect(decodeTarget('//LM/W3SVC/1/ROOT/App(h)/s').appId).toBe('/LM/W3SVC/1/ROOT/App');
  });

  it('returns nulls for targets that are not unique ids', () => {
    expect(decodeTarget('%2fjust-a-path')).toEqual({ key: '/just-a-path', appId: null, appHash: null, sessionId: null });
  });
});

describe('request classification', () => {
  const h = (name: string, value: string) => [{ name, value }];
  it.each([
    ['GET', [], 'Get'],
    ['GET', h('Exclusive', 'acquire'), 'GetExclusive'],
    ['GET', h('exclusive', 'ACQUIRE'), 'GetExclusive'],
    ['GET', h('Exclusive', 'Release'), 'ReleaseExclusive'],
    ['GET', h('Exclusive', 'maybe'), 'Unknown'],
    ['PUT', h('ExtraFlags', '1'), 'CreateUninitialized'],
    ['PUT', h('ExtraFlags', '0'), 'Set'],
    ['PUT', [], 'Set'],
    ['DELETE', [], 'Remove'],
    ['HEAD', [], 'ResetTimeout'],
    ['POST', [], 'Unknown'],
  ] as const)('%s %j -> %s', (verb, headers, kind) => {
    expect(classifyRequest(verb, [...headers])).toBe(kind);
  });
});

describe('version helpers', () => {
  it('reads the major version the way the client does', () => {
    expect(majorVersion('4.0.30319')).toBe(4);
    expect(majorVersion('2.0.50727')).toBe(2);
    expect(majorVersion('1.1.4322')).toBe(1);
    expect(majorVersion(undefined)).toBe(0);
    expect(majorVersion('garbage')).toBe(0);
  });

  it('inserts a header right after the status line', () => {
    const head = Buffer.from('200 OK\r\nCache-Control: private\r\nContent-Length: 0\r\n\r\n', 'latin1');
    expect(insertHeaderAfterStartLine(head, 'X-AspNet-Version', '4.0.30319').toString('latin1')).toBe(
      '200 OK\r\nX-AspNet-Version: 4.0.30319\r\nCache-Control: private\r\nContent-Length: 0\r\n\r\n',
    );
  });
});
