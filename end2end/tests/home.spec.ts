import { expect, test } from "@playwright/test";
import { consoleErrors, hydrated, screenshots } from "./shots";

test("the coupons page is server-rendered, styled, and hydrated", async ({ page, request }) => {
  const name = `E2E_HOME_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 42 } })).status()).toBe(201);
  const claimed = await request.post("/api/coupons/claim", { data: { user_id: "e2e-user", coupon_name: name } });
  expect(claimed.status()).toBe(200);

  // Server-rendered: the HTML as sent already holds the coupon.
  const html = await (await request.get("/")).text();
  expect(html).toContain(name);

  const errors = consoleErrors(page);
  await page.goto("/");
  await expect(page).toHaveTitle("Coupons");
  await expect(page.getByRole("heading", { name: "Coupons", exact: true })).toBeVisible();
  // name, status, amount, remaining, claimed, percent claimed, created
  const row = page.getByRole("row", { name: new RegExp(`^${name} live 42 41 1 2% \\d{4}-`) });
  await expect(row).toBeVisible();
  // Tailwind's CSS is served and applied (px-4 = 16px of padding on a cell).
  await expect(row.getByRole("cell").first()).toHaveCSS("padding-left", "16px");
  // The admin is open on this server, and says so on every page.
  await expect(page.getByRole("complementary", { name: "Admin access" })).toContainText("No admin password is set");
  await hydrated(page);
  expect(errors, "console errors while loading and hydrating").toEqual([]);
  await screenshots(page, "coupons");
});

test("an unknown page is a 404 page", async ({ page }) => {
  const response = await page.goto("/nowhere-to-be-found");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await screenshots(page, "not-found");
});
