// Starts the real statescope assembly (startApp) on free loopback ports for tests.
import { PassThrough } from 'node:stream';
import { APP_DEFAULTS, startApp, type AppOptions, type RunningApp } from '../../server/cli/statescope-app.ts';
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
    ...APP_DEFAULTS,
    listen: { host: '127.0.0.1', port: 0 },
    upstream: null,
    connectTimeoutMs: 2000,
    replyTimeoutMs: 5000,
    logMaxBytes: 0,
    stdout,
    ...overrides,
  });
  const records: ExchangeRecord[] = [];
  app.capture.tap((batch) => records.push(...batch));
  return Object.assign(app, { records, stdoutText: () => text });
}
