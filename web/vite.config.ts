/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// The Go package app/web embeds this directory with go:embed. It keeps a committed
// ui/.keep so the Go build works before the UI is built; emptyOutDir wipes it, so
// it is written back after every build.
const outDir = fileURLToPath(new URL('../app/web/ui', import.meta.url));

function keepFile(): Plugin {
  return {
    name: 'waihu-keep-dist-placeholder',
    apply: 'build',
    closeBundle() {
      writeFileSync(`${outDir}/.keep`, '');
    },
  };
}

// In development the Go server runs separately (waihu serve --demo); Vite proxies the API to it.
const apiTarget = process.env.WAIHU_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [keepFile()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // antd alone is several hundred KB; the budget that matters is per surface, not per chunk.
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      onwarn(warning, warn) {
        // antd marks its modules "use client" for React Server Components; meaningless in an SPA.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': apiTarget,
      '/healthz': apiTarget,
      '/readyz': apiTarget,
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
