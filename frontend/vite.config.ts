// The site is one prerendered page (index.html holds the whole markup) and one bundled module.
// Hashed file names under assets/ let the CDN and the local gateway cache them forever.
import { defineConfig } from "vitest/config";

export default defineConfig({
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // Every asset is a file: the CSP allows no inline script or style.
    assetsInlineLimit: 0,
    // One entry chunk and no dynamic imports: the polyfill would only add bytes.
    modulePreload: { polyfill: false },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
