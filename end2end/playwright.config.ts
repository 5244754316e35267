import { defineConfig } from "@playwright/test";

// The server under test: the binary cargo-leptos built, on its own port and database.
// scripts/test.sh sets E2E_PORT and DATABASE_URL; the defaults suit a manual run.
const port = process.env.E2E_PORT ?? "8091";
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Playwright cannot download its browser here; Debian's chromium is used instead.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command: process.env.E2E_SERVER_BIN ?? "target/debug/server",
    cwd: "..",
    url: `${baseURL}/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      LISTEN_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: process.env.DATABASE_URL ?? "",
      LOG_LEVEL: "warn",
    },
  },
});
