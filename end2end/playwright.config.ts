import { defineConfig } from "@playwright/test";

// Two servers under test, both the binary cargo-leptos built, on one database:
// - "open": no ADMIN_PASSWORD (the default; the live-dashboard and most admin specs use it);
// - "auth": ADMIN_PASSWORD set, for auth*.spec.ts.
// scripts/test.sh sets E2E_PORT (and may set E2E_AUTH_PORT) and DATABASE_URL; the defaults suit
// a manual run.
const port = process.env.E2E_PORT ?? "8091";
const authPort = process.env.E2E_AUTH_PORT ?? String(Number(port) + 1);
export const baseURL = `http://127.0.0.1:${port}`;
export const authURL = `http://127.0.0.1:${authPort}`;
/** The password of the "auth" server; tests sign in with it. */
export const ADMIN_PASSWORD = "e2e-admin-password";
/** The shop's site of cross-origin.spec.ts: its pages on this port may claim from the browser
 *  (as http://127.0.0.1:<port> only; http://localhost:<port> is another origin, not allowed). */
export const shopPort = Number(process.env.E2E_SHOP_PORT ?? String(Number(port) + 2));
/** The shop backend's secret that signs shopper tokens for the "open" server. */
export const TOKEN_SECRET = "e2e-shopper-token-secret-of-32-bytes-or-more";
export const TOKEN_AUDIENCE = "coupons-e2e";

const server = (listen: string, extra: Record<string, string>) => ({
  command: process.env.E2E_SERVER_BIN ?? "target/debug/server",
  cwd: "..",
  url: `http://${listen}/health`,
  timeout: 120_000,
  reuseExistingServer: false,
  stdout: "pipe" as const,
  stderr: "pipe" as const,
  env: {
    LISTEN_ADDR: listen,
    DATABASE_URL: process.env.DATABASE_URL ?? "",
    LOG_LEVEL: "warn",
    // The specs fire hundreds of claims from one address on purpose.
    RATE_LIMITS: "false",
    // webhooks.spec.ts delivers to a receiver of its own on 127.0.0.1, retried quickly. Both
    // servers share the database, so either may send a delivery: both need these settings.
    WEBHOOK_ALLOW_PRIVATE: "true",
    WEBHOOK_RETRY_SCHEDULE: "300ms,300ms,300ms",
    WEBHOOK_POLL_MS: "200",
    ...extra,
  },
});

export default defineConfig({
  testDir: "./tests",
  // Generous bounds on a hang, not speed gates: an expectation that holds returns at once, and a
  // loaded 2-core CI box may take a while to hydrate a page or deliver an event.
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
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
  projects: [
    { name: "open", testIgnore: /auth.*\.spec\.ts/, use: { baseURL } },
    { name: "auth", testMatch: /auth.*\.spec\.ts/, use: { baseURL: authURL } },
  ],
  webServer: [
    // Claims open (the other specs claim without credentials) and by shopper token, from the
    // shop's origin too.
    server(`127.0.0.1:${port}`, {
      CLAIM_AUTH: "open,token",
      CLAIM_TOKEN_SECRET: TOKEN_SECRET,
      CLAIM_TOKEN_AUDIENCE: TOKEN_AUDIENCE,
      CORS_ALLOWED_ORIGINS: `http://127.0.0.1:${shopPort}`,
    }),
    server(`127.0.0.1:${authPort}`, { ADMIN_PASSWORD }),
  ],
});
