import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard: a single-page app built into dist/web, which `flowlens serve` serves with a
// history fallback. `vite --config web/vite.config.ts` runs it in development against a server on
// 127.0.0.1:8080 (FLOWLENS_API overrides), proxying /api there.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    sourcemap: true,
  },
  server: {
    proxy: { '/api': process.env.FLOWLENS_API ?? 'http://127.0.0.1:8080' },
  },
});
