import { expect, test } from "@playwright/test";
import { hydrated, screenshots } from "./shots";

test("the New coupon form creates coupons in place and shows errors next to their field", async ({ page, request }) => {
  await page.goto("/");
  await hydrated(page);
  // Survives only if the page is never reloaded.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  const name = `E2E_FORM_${Date.now()}`;
  const nameField = page.getByLabel("Name", { exact: true });
  const amountField = page.getByLabel("Amount", { exact: true });
  const create = page.getByRole("button", { name: "Create coupon" });

  await nameField.fill(name);
  await amountField.fill("25");
  await create.click();
  await expect(page.getByRole("status")).toHaveText(`Created ${name}.`);
  await expect(page.getByRole("row", { name: new RegExp(`^${name} live 25 25 0 0% `) })).toBeVisible();
  await expect(nameField).toHaveValue("");
  expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  expect((await request.get(`/api/coupons/${name}`)).status()).toBe(200);

  // Duplicate name: the API's rule, shown as the Name field's description.
  await nameField.fill(name);
  await amountField.fill("5");
  await create.click();
  await expect(nameField).toHaveAccessibleDescription("A coupon with this name already exists.");
  await expect(nameField).toHaveAttribute("aria-invalid", "true");
  await expect(nameField).toBeFocused();
  await expect(amountField).toHaveAttribute("aria-invalid", "false");

  // Amount out of range, then not a number.
  const other = `${name}_2`;
  await nameField.fill(other);
  await amountField.fill("0");
  await create.click();
  await expect(amountField).toHaveAccessibleDescription(/Amount must be an integer from 1 to 2147483647/);
  await expect(nameField).toHaveAccessibleDescription("");
  await expect(amountField).toBeFocused();
  await amountField.fill("2147483648");
  await create.click();
  await expect(amountField).toHaveAccessibleDescription(/from 1 to 2147483647/);
  await amountField.fill("12x");
  await create.click();
  await expect(amountField).toHaveAccessibleDescription(/must be an integer/);

  // Bad characters in the name.
  await nameField.fill("bad\u0007name");
  await amountField.fill("3");
  await create.click();
  await expect(nameField).toHaveAccessibleDescription(/must not contain control characters/);
  await nameField.fill("   ");
  await create.click();
  await expect(nameField).toHaveAccessibleDescription(/must not be blank/);

  expect((await request.get(`/api/coupons/${other}`)).status()).toBe(404);
  expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  await screenshots(page, "coupons-form-error");
});

test("the coupons list pages past 50, newest first", async ({ page, request }) => {
  const stamp = Date.now();
  const names = Array.from({ length: 55 }, (_, i) => `E2E_PAGE_${stamp}_${String(i).padStart(2, "0")}`);
  for (const name of names) {
    expect((await request.post("/api/coupons", { data: { name, amount: 1 } })).status()).toBe(201);
  }
  await page.goto("/");
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(51); // header + 50
  await expect(rows.nth(1)).toContainText(names[54]);
  await expect(page.getByRole("link", { name: names[4], exact: true })).toHaveCount(0);
  await page.getByRole("link", { name: "Older →" }).click();
  await expect(page).toHaveURL(/\?page=2$/);
  for (const name of names.slice(0, 5)) {
    await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
  }
  await expect(page.getByRole("navigation", { name: "Pages" })).toContainText("Page 2 of");
  await screenshots(page, "coupons-page-2");
  await page.getByRole("link", { name: "← Newer" }).click();
  await expect(rows.nth(1)).toContainText(names[54]);
});
