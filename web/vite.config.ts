import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard's build: `npm run build` writes it to `dist/web`, which `stepflow server` serves.
 * `npm run dev:web` serves it with HMR on :5173 and proxies the API and WebSocket to a running
 * `stepflow server` on :8080 (STEPFLOW_ALLOWED_ORIGINS=http://localhost:5173 lets the dev origin in).
 */
const apiTarget = process.env.STEPFLOW_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: true },
      '/ws': { target: apiTarget.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
    },
  },
});
