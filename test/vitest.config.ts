import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The config lives in test/ (the top level is fixed by the design card); tests run from the root.
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    // Playwright specs live in test/e2e and are run by `playwright test`, not Vitest.
    include: ['test/**/*.test.ts'],
    // test/exe needs the single executables and Wine: npm run test:exe (test/vitest.exe.config.ts).
    exclude: ['test/e2e/**', 'test/exe/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
