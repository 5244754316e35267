import { expect, test } from "@playwright/test";
import { consoleErrors, hydrated, screenshots } from "./shots";

test("the API docs page renders every operation of the OpenAPI document, offline", async ({ page, request }) => {
  const spec = await (await request.get("/api/openapi.json")).json();
  const operations: string[] = [];
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) operations.push(`${method.toUpperCase()} ${path}`);
  }
  expect(operations.length).toBeGreaterThanOrEqual(16);

  // Server-rendered: the HTML as sent already holds the reference.
  const html = await (await request.get("/docs")).text();
  expect(html).toContain("/api/coupons/claim");

  // Nothing is fetched from another origin: the page must work without the internet.
  const origin = new URL(test.info().project.use.baseURL ?? "").origin;
  const foreign: string[] = [];
  page.on("request", (r) => {
    if (/^https?:/.test(r.url()) && new URL(r.url()).origin !== origin) foreign.push(r.url());
  });
  const errors = consoleErrors(page);
  await page.goto("/");
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "API docs" }).click();
  await expect(page).toHaveURL(/\/docs$/);
  await expect(page).toHaveTitle("API docs · Coupons");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("API docs");

  // One card per operation, method and path as the document has them.
  const cards = page.locator("section[id^='get-'], section[id^='post-'], section[id^='patch-'], section[id^='delete-']");
  await expect(cards).toHaveCount(operations.length);
  for (const op of operations) {
    const [method, path] = op.split(" ");
    await expect(page.locator(`section[id="${method.toLowerCase()}-${path}"]`), op).toContainText(path);
  }

  // The claim's card lists its answers, and its body links to the schema.
  const claim = page.locator('section[id="post-/api/coupons/claim"]');
  for (const status of ["200", "404", "409", "429", "503"]) {
    await expect(claim.getByRole("cell", { name: status, exact: true })).toBeVisible();
  }
  await expect(claim.getByText("public")).toBeVisible();
  await claim.getByRole("link", { name: "ClaimRequest" }).click();
  await expect(page).toHaveURL(/#schema-ClaimRequest$/);
  const schema = page.locator("#schema-ClaimRequest");
  await expect(schema).toBeInViewport();
  await expect(schema.getByRole("row", { name: /^user_id/ })).toBeVisible();
  await expect(schema.getByRole("row", { name: /^coupon_name \*/ })).toBeVisible();
  await expect(page.locator('section[id="post-/api/coupons"]').getByText("admin", { exact: true })).toBeVisible();

  await hydrated(page);
  expect(errors, "console errors while loading and hydrating").toEqual([]);
  expect(foreign, "requests to other origins").toEqual([]);
  await screenshots(page, "docs");
});
