// The web node editor: built into dist/web, which `synchrotron serve` serves at `/` to browsers.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { nodeSide } from '../scripts/node-sides.mjs';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webRoot,
  // Relative asset paths: the UI works wherever the server mounts it.
  base: './',
  // The page's own chunks never render (the worklet and offline worker do, built without this plugin: Vite
  // gives workers `worker.plugins` only), so node definitions there lose their render code.
  plugins: [react(), nodeSide('control')],
  // The engine's AudioWorklet and offline worker (local mode, `?worker&url` imports) are ES modules.
  // The worklet renders from values the page prepared: its nodes lose prepare, ports and descriptions.
  worker: {
    format: 'es',
    plugins: () => [nodeSide('render', { entry: /src[\\/]browser[\\/]worklet\.ts$/ })],
  },
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development, with the API on the default port.
    proxy: {
      '/ws': { target: 'ws://127.0.0.1:2031', ws: true },
      '^/(execute|nodes|connections|types|status|start|stop|clear|export)': 'http://127.0.0.1:2031',
    },
  },
});
