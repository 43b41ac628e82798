// How tests and benchmarks start a browser: Debian's chromium (browser downloads do not work
// here), or CHROMIUM_PATH. Without the background-networking flags its connections to the
// outside get refused on a closed network, many at a time.
import { existsSync } from 'node:fs';
import type { LaunchOptions } from '@playwright/test';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  // Fail loudly with the fix rather than with Playwright's advice to download a browser.
  throw new Error(
    `Browser tests need chromium at ${executablePath}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH.`,
  );
}

export const chromiumLaunchOptions: LaunchOptions = {
  executablePath,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
