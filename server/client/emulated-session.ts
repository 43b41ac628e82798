// The session an emulated page writes back, in ASP.NET's real serialized format (see
// session-body-writer.ts): what a small shop keeps per user. Sizes vary from page to page, and
// now and then a page caches a large report object in the session, so --session-items, the
// size charts and the diagnoses have the kind of traffic they are for.
import { serializeSession, type SessionValue } from './session-body-writer.ts';

export interface EmulatedSessionOptions {
  timeoutMinutes: number;
  /** <sessionState compressionEnabled="true">: raw Deflate and a trailing 0xFF. */
  compressed?: boolean;
}

/** .NET ticks (100 ns since 0001-01-01) of an epoch-milliseconds time. */
export function dotNetTicks(epochMs: number): bigint {
  return BigInt(Math.round(epochMs)) * 10_000n + 621_355_968_000_000_000n;
}

/** Share of pages that cache a large report object in the session. */
const REPORT_CACHE_SHARE = 0.1;

export function emulatedSessionBody(random: () => number, options: EmulatedSessionOptions): Buffer {
  const userId = 1000 + Math.floor(random() * 9000);
  const items: [string, SessionValue][] = [
    ['UserName', { type: 'String', value: `user${userId}@example.com` }],
    ['UserId', { type: 'Int32', value: userId }],
    ['IsAuthenticated', { type: 'Boolean', value: random() < 0.8 }],
    ['LastVisit', { type: 'DateTime', ticks: dotNetTicks(Date.now()) }],
    ['CartTotal', { type: 'Double', value: Math.round(random() * 50_000) / 100 }],
    ['Cart', { type: 'Object', className: 'Shop.ShoppingCart', assembly: SHOP_ASSEMBLY, bytes: 32 + Math.floor(random() * 1500) }],
  ];
  if (random() < REPORT_CACHE_SHARE) {
    items.push(['ReportCache', { type: 'Object', className: 'Shop.Reports.SalesReport', assembly: SHOP_ASSEMBLY, bytes: 4096 + Math.floor(random() * 8192) }]);
  }
  return serializeSession({ timeoutMinutes: options.timeoutMinutes, items, compressed: options.compressed ?? false });
}

const SHOP_ASSEMBLY = 'Shop, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null';
