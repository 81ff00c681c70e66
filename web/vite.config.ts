import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard's build: `npm run build` writes it to `dist/web`, which `stepflow server` serves.
 * `npm run dev:web` serves it with HMR on :5173 and proxies the API and WebSocket to a running
 * `stepflow server` (STEPFLOW_DEV_API, default http://127.0.0.1:8080). The proxy presents the
 * server's own origin, so the server's Origin check needs no dev exception.
 */
const apiTarget = process.env.STEPFLOW_DEV_API ?? 'http://127.0.0.1:8080';
const asServerOrigin = (proxy: {
  on(event: string, listener: (req: { setHeader(name: string, value: string): void }) => void): void;
}) => {
  proxy.on('proxyReq', (req) => req.setHeader('origin', apiTarget));
  proxy.on('proxyReqWs', (req) => req.setHeader('origin', apiTarget));
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Kept for decoding a stack trace, never referenced from the bundle nor served: the build
    // moves them to dist/web-sourcemaps (scripts/finish-web-build.js).
    sourcemap: 'hidden',
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: true, configure: asServerOrigin },
      '/ws': {
        target: apiTarget.replace(/^http/, 'ws'),
        ws: true,
        changeOrigin: true,
        configure: asServerOrigin,
      },
    },
  },
});
