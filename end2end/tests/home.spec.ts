import { expect, test } from "@playwright/test";

test("home page is server-rendered, styled, and hydrated", async ({ page, request }) => {
  const name = `E2E_HOME_${Date.now()}`;
  const other = `${name}_OTHER`;
  for (const [n, amount] of [[name, 42], [other, 3]] as const) {
    const created = await request.post("/api/coupons", { data: { name: n, amount } });
    expect(created.status()).toBe(201);
  }
  const claimed = await request.post("/api/coupons/claim", { data: { user_id: "e2e-user", coupon_name: name } });
  expect(claimed.status()).toBe(200);

  // Server-rendered: the HTML as sent already holds the coupons.
  const html = await (await request.get("/")).text();
  expect(html).toContain(name);

  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Coupons" })).toBeVisible();
  const row = page.getByRole("row", { name: new RegExp(`^${name} 42 41$`) });
  await expect(row).toBeVisible();

  // Tailwind's CSS is served and applied (px-4 = 16px of padding on a cell).
  await expect(row.getByRole("cell").first()).toHaveCSS("padding-left", "16px");

  // Hydrated: the filter runs in the browser only once the WASM has taken over.
  await expect(page.locator("main[data-hydrated=true]")).toBeAttached();
  await page.getByLabel("Filter by name").fill(other);
  await expect(page.getByRole("row", { name: new RegExp(`^${other} `) })).toBeVisible();
  await expect(row).toBeHidden();
});

test("an unknown page is a 404 page", async ({ page }) => {
  const response = await page.goto("/nowhere-to-be-found");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
