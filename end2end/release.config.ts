import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The release check (scripts/check-run.sh): the server that `make run` built and started, with
// its default settings (rate limits on, admin open), at E2E_RELEASE_URL. No server of its own.
export default defineConfig({
  ...base,
  testDir: "./release",
  outputDir: "test-results/release",
  projects: [{ name: "release", use: { baseURL: process.env.E2E_RELEASE_URL ?? "http://127.0.0.1:8080" } }],
  webServer: undefined,
});
