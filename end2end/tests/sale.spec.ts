import { type APIRequestContext, type Browser, expect, type Page, test } from "@playwright/test";
import { consoleErrors, hydrated, screenshots } from "./shots";

// Running a sale from the coupon page while the live dashboard watches, in real Chromium: a
// scheduled start, a pause, a restock, a release, and the audit log of all of it.

async function createCoupon(request: APIRequestContext, name: string, amount: number) {
  expect((await request.post("/api/coupons", { data: { name, amount } })).status()).toBe(201);
}

async function claim(request: APIRequestContext, name: string, user_id: string) {
  const response = await request.post("/api/coupons/claim", { data: { user_id, coupon_name: name } });
  return { status: response.status(), body: await response.json() };
}

/** The coupon page, hydrated. */
async function couponPage(page: Page, name: string) {
  await page.goto(`/coupons/${encodeURIComponent(name)}`);
  await hydrated(page);
}

/** The live dashboard of `name` in a page of its own, hydrated and connected. */
async function dashboard(browser: Browser, name: string) {
  const page = await browser.newPage();
  await page.goto(`/live?coupon=${encodeURIComponent(name)}`);
  await hydrated(page);
  const panel = page.getByRole("region", { name: `Live stock of ${name}` });
  await expect(panel.getByRole("status")).toHaveText("Live");
  return { page, panel };
}

/** A date and time `ms` from now, as the window form takes it (UTC, to the second). */
function utcField(ms: number) {
  return new Date(Date.now() + ms).toISOString().slice(0, 19);
}

test("a scheduled sale refuses claims, counts down, then opens by itself", async ({ page, request }) => {
  const name = `E2E_SCHEDULED_${Date.now()}`;
  await createCoupon(request, name, 5);
  const errors = consoleErrors(page);
  await couponPage(page, name);
  // Half an hour ahead: however slow the machine, the checks of the scheduled sale below happen
  // before its start (a start a few seconds ahead could pass while they ran).
  await page.getByLabel("Starts").fill(utcField(30 * 60_000));
  await page.getByRole("button", { name: "Save window" }).click();
  await expect(page.getByTestId("window")).toHaveText(/^From \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.$/);

  const live = page.getByRole("region", { name: `Live stock of ${name}` });
  await expect(live.getByTestId("sale-status")).toHaveText("scheduled");
  await expect(live.getByTestId("countdown")).toHaveText(/^Starts in (2\d|30):[0-5]\d$/);
  const early = await claim(request, name, "early");
  expect(early.status).toBe(409);
  expect(early.body.code).toBe("not_started");
  expect(early.body.starts_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  await screenshots(page, "sale-scheduled");

  // The start brought forward to a few seconds from now (as another admin would): the page
  // counts down and turns live by itself, and the database then takes claims.
  const soon = new Date(Date.now() + 5_000).toISOString();
  expect((await request.patch(`/api/coupons/${encodeURIComponent(name)}`, { data: { starts_at: soon } })).status()).toBe(200);
  await expect(live.getByTestId("sale-status")).toHaveText("live", { timeout: 60_000 });
  await expect.poll(async () => (await claim(request, name, "on-time")).status, { timeout: 60_000 }).toBe(200);
  await expect(live.getByTestId("remaining")).toHaveText("4");
  expect(errors, "console errors").toEqual([]);
});

test("pausing mid-sale shows paused on the dashboard and claims get 409 paused", async ({ browser, page, request }) => {
  const name = `E2E_PAUSE_${Date.now()}`;
  await createCoupon(request, name, 10);
  expect((await claim(request, name, "before")).status).toBe(200);
  const board = await dashboard(browser, name);
  await expect(board.panel.getByTestId("sale-status")).toHaveText("live");

  await couponPage(page, name);
  await page.getByRole("button", { name: "Pause sale" }).click();
  await expect(page.getByRole("button", { name: "Resume sale" })).toBeVisible();
  await expect(board.panel.getByTestId("sale-status")).toHaveText("paused");
  const refused = await claim(request, name, "during");
  expect([refused.status, refused.body.code]).toEqual([409, "paused"]);
  await screenshots(board.page, "sale-paused-dashboard");

  await page.getByRole("button", { name: "Resume sale" }).click();
  await expect(board.panel.getByTestId("sale-status")).toHaveText("live");
  expect((await claim(request, name, "during")).status).toBe(200);
  await expect(board.panel.getByTestId("remaining")).toHaveText("8");
  await board.page.close();
});

test("restocking a sold-out coupon puts the dashboard back to live", async ({ browser, page, request }) => {
  const name = `E2E_RESTOCK_${Date.now()}`;
  await createCoupon(request, name, 2);
  for (const user of ["a", "b"]) expect((await claim(request, name, user)).status).toBe(200);
  const board = await dashboard(browser, name);
  await expect(board.panel.getByTestId("sale-status")).toHaveText("sold out");
  await expect(board.panel.getByTestId("remaining")).toHaveText("0");

  await couponPage(page, name);
  await page.getByLabel("Stock in all").fill("5");
  await page.getByRole("button", { name: "Set stock" }).click();
  await expect(page.getByText("lower it down to the 2 units claimed")).toBeVisible();
  await expect(board.panel.getByTestId("remaining")).toHaveText("3");
  await expect(board.panel.getByTestId("sale-status")).toHaveText("live");
  await expect(board.panel.getByText(/^Sold out in/)).toHaveCount(0);

  // Below the claims is refused, next to the field, and changes nothing.
  await page.getByLabel("Stock in all").fill("1");
  await page.getByRole("button", { name: "Set stock" }).click();
  await expect(page.getByRole("alert")).toHaveText("The amount is below the 2 units already claimed.");
  expect((await claim(request, name, "c")).status).toBe(200);
  await expect(board.panel.getByTestId("remaining")).toHaveText("2");
  await board.page.close();
});

test("releasing a claim asks first, then gives the unit back and lets the user claim again", async ({ page, request }) => {
  const name = `E2E_RELEASE_${Date.now()}`;
  await createCoupon(request, name, 1);
  expect((await claim(request, name, "alice")).status).toBe(200);
  await couponPage(page, name);
  const live = page.getByRole("region", { name: `Live stock of ${name}` });
  await expect(live.getByTestId("sale-status")).toHaveText("sold out");

  await page.getByRole("link", { name: "Release the claim of alice" }).click();
  await expect(page.getByRole("heading", { name: "Release the claim of alice?" })).toBeVisible();
  await screenshots(page, "sale-release-confirm");
  // Cancel releases nothing.
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page.getByRole("heading", { name: "Release the claim of alice?" })).toHaveCount(0);
  expect((await (await request.get(`/api/coupons/${name}`)).json()).claimed_by).toEqual(["alice"]);

  await page.getByRole("link", { name: "Release the claim of alice" }).click();
  await page.getByRole("button", { name: "Release claim" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Released the claim of alice." })).toBeVisible();
  await expect(page.getByText("No claims yet.")).toBeVisible();
  await expect(live.getByTestId("remaining")).toHaveText("1");
  await expect(live.getByTestId("sale-status")).toHaveText("live");
  expect((await claim(request, name, "alice")).status).toBe(200);
});

test("each admin action appears in the audit page, newest first", async ({ page, request }) => {
  const name = `E2E_AUDIT_${Date.now()}`;
  // Created in the UI, then paused, restocked and a claim released in the UI.
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Amount").fill("1");
  await page.getByRole("button", { name: "Create coupon" }).click();
  await page.getByRole("link", { name, exact: true }).first().click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await hydrated(page);
  expect((await claim(request, name, "bob")).status).toBe(200);
  await page.getByRole("button", { name: "Pause sale" }).click();
  await expect(page.getByRole("button", { name: "Resume sale" })).toBeVisible();
  await page.getByLabel("Stock in all").fill("3");
  await page.getByRole("button", { name: "Set stock" }).click();
  await expect(page.getByLabel("Stock in all")).toHaveValue("3");
  await page.reload();
  await page.getByRole("link", { name: "Release the claim of bob" }).click();
  await page.getByRole("button", { name: "Release claim" }).click();
  await expect(page.getByText("Released the claim of bob.")).toBeVisible();

  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Audit log");
  const rows = page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(rows).toHaveCount(4);
  const cells = (i: number) => rows.nth(i).getByRole("cell");
  await expect(cells(0).nth(2)).toHaveText("claim.release");
  await expect(cells(0).nth(4)).toContainText("user_id: bob");
  await expect(cells(1).nth(2)).toHaveText("coupon.patch");
  await expect(cells(1).nth(4)).toContainText("amount: 1");
  await expect(cells(1).nth(5)).toContainText("amount: 3");
  await expect(cells(2).nth(2)).toHaveText("coupon.patch");
  await expect(cells(2).nth(5)).toContainText("paused: true");
  await expect(cells(3).nth(2)).toHaveText("coupon.create");
  for (let i = 0; i < 4; i++) await expect(cells(i).nth(1)).toHaveText("open");
  await screenshots(page, "audit");
});
