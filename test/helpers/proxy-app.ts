// Starts the real statescope assembly (startApp) on free loopback ports for tests.
import { PassThrough } from 'node:stream';
import { startApp, type AppOptions, type RunningApp } from '../../server/cli/statescope-app.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';

export interface TestApp extends RunningApp {
  records: ExchangeRecord[];
  stdoutText(): string;
}

export async function startTestApp(overrides: Partial<AppOptions> = {}): Promise<TestApp> {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  const app = await startApp({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: null,
    embeddedVersionHeader: '4.0.30319',
    injection: { enabled: false, value: '4.0.30319' },
    captureBodiesBytes: 0,
    maxExchanges: 100_000,
    maxCaptureBytes: 256 * 1024 * 1024,
    connectTimeoutMs: 2000,
    replyTimeoutMs: 5000,
    logFile: null,
    logMaxBytes: 0,
    logKeep: 5,
    logExchanges: false,
    stdout,
    ...overrides,
  });
  const records: ExchangeRecord[] = [];
  app.capture.tap((batch) => records.push(...batch));
  return Object.assign(app, { records, stdoutText: () => text });
}
