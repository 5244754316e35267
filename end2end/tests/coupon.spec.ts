import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { consoleErrors, hydrated, screenshots } from "./shots";

const pad = (i: number) => String(i).padStart(3, "0");

test("claims made through the JSON API appear on the coupon page, paged and searchable", async ({ page, request }) => {
  const name = `E2E SALE 🎉 ${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 150 } })).status()).toBe(201);
  for (let i = 0; i < 125; i++) {
    const claim = await request.post("/api/coupons/claim", { data: { user_id: `e2e-${pad(i)}`, coupon_name: name } });
    expect(claim.status()).toBe(200);
  }

  // From the coupons list to the coupon page, in the hydrated app.
  const errors = consoleErrors(page);
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await expect(page).toHaveTitle(`${name} · Coupons`);
  const bar = page.getByRole("progressbar", { name: "Stock claimed" });
  await expect(bar).toHaveAttribute("aria-valuenow", "125");
  await expect(bar).toHaveAttribute("aria-valuemax", "150");
  await expect(page.getByText("83% claimed")).toBeVisible();
  for (const [label, value] of [["Amount", "150"], ["Remaining", "25"], ["Claimed", "125"]]) {
    await expect(page.getByRole("definition").filter({ has: page.locator(`xpath=preceding-sibling::dt[.="${label}"]`) })).toHaveText(value);
  }

  // Claim order, 50 a page.
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(51);
  await expect(rows.nth(1).getByRole("cell").first()).toHaveText("e2e-000");
  await expect(rows.nth(50).getByRole("cell").first()).toHaveText("e2e-049");
  expect(errors, "console errors").toEqual([]);
  await screenshots(page, "coupon");
  await page.getByRole("link", { name: "Next page →" }).click();
  await expect(rows.nth(1).getByRole("cell").first()).toHaveText("e2e-050");
  await page.getByRole("link", { name: "Next page →" }).click();
  await expect(rows).toHaveCount(26);
  await expect(rows.nth(25).getByRole("cell").first()).toHaveText("e2e-124");
  await expect(page.getByRole("link", { name: "Next page →" })).toHaveCount(0);
  await page.getByRole("link", { name: "← First page" }).click();
  await expect(rows.nth(1).getByRole("cell").first()).toHaveText("e2e-000");

  // Search by prefix, and pages within a search.
  const search = page.getByLabel("Search by user ID prefix");
  await search.fill("e2e-01");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/prefix=e2e-01$/);
  await expect(rows).toHaveCount(11);
  await expect(rows.nth(10).getByRole("cell").first()).toHaveText("e2e-019");
  // The field shows the search of the URL: typing starts only once the page has settled on it.
  await expect(search).toHaveValue("e2e-01");
  await search.fill("e2e-0");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows).toHaveCount(51);
  await page.getByRole("link", { name: "Next page →" }).click();
  await expect(rows).toHaveCount(51);
  await expect(rows.nth(50).getByRole("cell").first()).toHaveText("e2e-099");
  await expect(page.getByRole("link", { name: "Next page →" })).toHaveCount(0);
  await search.fill("nobody");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("No user ID starts with “nobody”.")).toBeVisible();
  await screenshots(page, "coupon-search-empty");
});

test("Download CSV holds every claimer in claim order", async ({ page, request }) => {
  const name = `E2E_CSV_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 130 } })).status()).toBe(201);
  const users = Array.from({ length: 121 }, (_, i) => `csv-${pad(i)}`);
  users.push('quote"and,comma');
  for (const user_id of users) {
    expect((await request.post("/api/coupons/claim", { data: { user_id, coupon_name: name } })).status()).toBe(200);
  }
  await page.goto(`/coupons/${name}`);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  const text = readFileSync(await download.path(), "utf8");
  const lines = text.trimEnd().split("\r\n");
  expect(lines[0]).toBe("user_id,claimed_at,redeemed_at");
  expect(lines).toHaveLength(users.length + 1);
  expect(lines.slice(1, -1).map((l) => l.split(",")[0])).toEqual(users.slice(0, -1));
  expect(lines[lines.length - 1]).toMatch(/^"quote""and,comma",\d{4}-\d\d-\d\dT/);
});

test("a new coupon's page has an empty state, and an unknown one is a 404", async ({ page, request }) => {
  const name = `E2E_EMPTY_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 10 } })).status()).toBe(201);
  await page.goto(`/coupons/${name}`);
  await expect(page.getByText("No claims yet.")).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Stock claimed" })).toHaveAttribute("aria-valuenow", "0");
  await screenshots(page, "coupon-empty");
  const missing = await page.goto(`/coupons/${name}_MISSING`);
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
