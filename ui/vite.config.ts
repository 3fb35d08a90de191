// Builds the web app into dist/app/, which the control plane serves on :8084.
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs, so the app works under any path prefix (a reverse proxy,
  // `kubectl proxy`) as well as behind `kubectl port-forward`.
  base: './',
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    target: 'es2022',
    // cytoscape alone is ~400 kB minified; one chunk is what the app needs at first paint anyway.
    chunkSizeWarningLimit: 1024,
  },
});
