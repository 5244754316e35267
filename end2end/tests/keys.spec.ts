import { expect, test } from "@playwright/test";
import { consoleErrors, hydrated, screenshots } from "./shots";

test("an admin makes an API key, sees its secret once, and revokes it", async ({ page, request }) => {
  const coupon = `E2E_KEYS_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name: coupon, amount: 10 } })).status()).toBe(201);
  const errors = consoleErrors(page);
  await page.goto("/keys");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "API keys", exact: true })).toBeVisible();
  // Claims are open on this server: every admin page says so.
  await expect(page.getByRole("complementary", { name: "Claim access" })).toContainText("Claims are unauthenticated");

  const name = `shop backend ${Date.now()}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("alert")).toContainText("Tick at least one scope");
  await page.getByLabel("claim", { exact: true }).check();
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByLabel("New API key").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
  const row = page.getByRole("row", { name: new RegExp(`^${name} claim ${secret.slice(0, 9)}…`) });
  await expect(row).toBeVisible();
  await screenshots(page, "keys");

  // The key claims for a shopper; a reload shows the list without the secret.
  const claim = (user: string) =>
    request.post("/api/coupons/claim", {
      headers: { authorization: `Bearer ${secret}` },
      data: { user_id: user, coupon_name: coupon },
    });
  expect((await claim("keyed-1")).status()).toBe(200);
  // The shop's checkout redeems it with the same key; the coupon page shows it spent.
  const redeemed = await request.post(`/api/coupons/${coupon}/claims/keyed-1/redeem`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  expect(redeemed.status()).toBe(200);
  await page.goto(`/coupons/${coupon}`);
  await expect(page.getByText("1 claim redeemed at checkout.")).toBeVisible();
  const claimRow = page.getByRole("row").filter({ hasText: "keyed-1" });
  await expect(claimRow.getByRole("link", { name: /Release/ })).toHaveCount(0);
  await page.goto("/keys");
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(secret.slice(9));

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(row).toContainText("revoked");
  const refused = await claim("keyed-2");
  expect(refused.status()).toBe(401);
  expect((await refused.json()).code).toBe("invalid_key");
  // The one refusal of the form above (no scope ticked) is a 400 the browser logs; nothing else.
  expect(errors.filter((e) => !e.includes("status of 400")), "console errors").toEqual([]);
});
