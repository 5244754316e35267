import { Page, test } from "@playwright/test";

/** Saves full-page screenshots of the current page at phone (375 px) and desktop (1280 px)
 *  widths under the test's output directory (test-results/, not committed). */
export async function screenshots(page: Page, name: string) {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: test.info().outputPath(`${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Waits until the WASM has hydrated the page (App sets data-hydrated on <main>). */
export async function hydrated(page: Page) {
  await page.locator("main[data-hydrated=true]").waitFor({ state: "attached" });
}

/** Collects the page's console errors and uncaught exceptions (e.g. hydration mismatches). */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}
