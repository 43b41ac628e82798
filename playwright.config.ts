// End-to-end tests of the live dashboard: the real `statescope` CLI on free ports, real
// traffic from `statescope load`, the built UI (npm run build:ui) in Debian's chromium.
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './test/chromium.ts';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    trace: 'off',
    launchOptions: chromiumLaunchOptions,
  },
});
