import { expect, test } from "@playwright/test";

// A browser without JavaScript: every form is a plain post or get, and the page re-renders.
test.use({ javaScriptEnabled: false });

test("the New coupon form works without JavaScript", async ({ page, request }) => {
  const name = `E2E_NOJS_${Date.now()}`;
  await page.goto("/");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Amount", { exact: true }).fill("9");
  await page.getByRole("button", { name: "Create coupon" }).click();
  await expect(page.getByRole("row", { name: new RegExp(`^${name} live 9 9 0 0% `) })).toBeVisible();
  expect((await request.get(`/api/coupons/${name}`)).status()).toBe(200);

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Amount", { exact: true }).fill("9");
  await page.getByRole("button", { name: "Create coupon" }).click();
  await expect(page.getByLabel("Name", { exact: true })).toHaveAccessibleDescription(
    "A coupon with this name already exists.",
  );

  await page.getByLabel("Name", { exact: true }).fill(`${name}_X`);
  await page.getByLabel("Amount", { exact: true }).fill("-4");
  await page.getByRole("button", { name: "Create coupon" }).click();
  await expect(page.getByLabel("Amount", { exact: true })).toHaveAccessibleDescription(/from 1 to 2147483647/);
  expect((await request.get(`/api/coupons/${name}_X`)).status()).toBe(404);
});

test("claimer search and pages work without JavaScript", async ({ page, request }) => {
  const name = `E2E_NOJS_SEARCH_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 60 } })).status()).toBe(201);
  for (let i = 0; i < 55; i++) {
    const user_id = `nojs-${String(i).padStart(2, "0")}`;
    expect((await request.post("/api/coupons/claim", { data: { user_id, coupon_name: name } })).status()).toBe(200);
  }
  await page.goto(`/coupons/${encodeURIComponent(name)}`);
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(51);
  await page.getByRole("link", { name: "Next page →" }).click();
  await expect(rows).toHaveCount(6);
  await expect(rows.nth(1)).toContainText("nojs-50");
  await page.getByLabel("Search by user ID prefix").fill("nojs-1");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows).toHaveCount(11);
  await expect(rows.nth(1)).toContainText("nojs-10");
});

test("pause, restock, a refused stock and a release work without JavaScript", async ({ page, request }) => {
  const name = `E2E_NOJS_SALE_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 1 } })).status()).toBe(201);
  const claim = (user_id: string) => request.post("/api/coupons/claim", { data: { user_id, coupon_name: name } });
  expect((await claim("nojs-a")).status()).toBe(200);
  await page.goto(`/coupons/${name}`);

  await page.getByRole("button", { name: "Pause sale" }).click();
  await expect(page.getByTestId("sale-status")).toHaveText("paused");
  expect((await (await claim("nojs-b")).json()).code).toBe("paused");
  await page.getByRole("button", { name: "Resume sale" }).click();
  await expect(page.getByTestId("sale-status")).toHaveText("sold out");

  await page.getByLabel("Stock in all").fill("0");
  await page.getByRole("button", { name: "Set stock" }).click();
  await expect(page.getByRole("alert")).toHaveText("Amount must be an integer from 1 to 2147483647.");
  await page.getByLabel("Stock in all").fill("2");
  await page.getByRole("button", { name: "Set stock" }).click();
  await expect(page.getByTestId("sale-status")).toHaveText("live");
  await expect(page.getByTestId("remaining")).toHaveText("1");

  await page.getByRole("link", { name: "Release the claim of nojs-a" }).click();
  await page.getByRole("button", { name: "Release claim" }).click();
  await expect(page).toHaveURL(/\?released=nojs(-|%2D)a$/);
  await expect(page.getByText("Released the claim of nojs-a.")).toBeVisible();
  await expect(page.getByTestId("remaining")).toHaveText("2");
});
