// How tests and benchmarks start a browser: Debian's chromium (browser downloads do not work
// here), or CHROMIUM_PATH. Without the background-networking flags its connections to the
// outside get refused on a closed network, many at a time.
import type { LaunchOptions } from '@playwright/test';

export const chromiumLaunchOptions: LaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
