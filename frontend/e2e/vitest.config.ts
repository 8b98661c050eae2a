// The browser tests: Debian's Chromium driven by playwright-core, against the local gateway on
// SQLite and on PostgreSQL (see global-setup.ts).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["**/*.test.ts"],
    globalSetup: ["./global-setup.ts"],
    testTimeout: 30_000,
    // How long expect.poll waits for the page by default (a busy 2-core machine needs more
    // than vitest's 1 s); the live tests set their own 1 s limit.
    expect: { poll: { timeout: 5_000 } },
    hookTimeout: 60_000,
    // Each worker runs its own Chromium: two fit the machine.
    maxWorkers: 2,
  },
});
