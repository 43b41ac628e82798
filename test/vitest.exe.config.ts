import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The single-executable tests (npm run test:exe): they need dist-exe/ (npm run build:exe) and,
// for the Windows one, Wine; CI runs them after npm test.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/exe/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One at a time: Wine and two 90 MiB executables are heavy on a shared machine.
    fileParallelism: false,
  },
});
