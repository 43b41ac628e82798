// Builds the dashboard into ui/dist, which server/dashboard serves. In development
// (`vite --config ui/vite.config.ts`) /api is proxied to a statescope started with
// --dashboard 127.0.0.1:42426, ws feed included.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:42426', ws: true },
    },
  },
});
