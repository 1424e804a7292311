import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The dashboard: a single-page app built into dist/web, which `flowlens serve` serves with a
// history fallback. `vite --config web/vite.config.ts` runs it in development against a server on
// 127.0.0.1:8080 (FLOWLENS_API overrides), proxying /api there.
const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The app is loaded by the entry with import() (see src/early.ts), which the browser only sees once
 * the entry has arrived and run; a modulepreload link in the page lets its download start with the
 * entry's.
 */
function preloadLazyChunks(names: string[]): Plugin {
  return {
    name: 'flowlens-preload-lazy-chunks',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {});
        // Each lazy chunk after what it imports (the bundler's runtime), once each.
        const files = new Set<string>();
        for (const n of names)
          for (const c of chunks)
            if (c.type === 'chunk' && c.facadeModuleId?.endsWith(n)) {
              for (const i of c.imports) files.add(i);
              files.add(c.fileName);
            }
        return [...files].map((file) => ({
          tag: 'link',
          attrs: { rel: 'modulepreload', crossorigin: true, href: `/${file}` },
          injectTo: 'head' as const,
        }));
      },
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), preloadLazyChunks(['/src/main.tsx'])],
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
