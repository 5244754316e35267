import { expect, test } from "@playwright/test";
import { consoleErrors, hydrated } from "../tests/shots";

// What a newcomer does after `make run`: open the page, create a coupon in the UI, claim it
// through the API, and see the claim in the UI. Against the release build and its defaults.
test("the release build of make run serves, hydrates, creates in the UI and claims over the API", async ({ page, request }) => {
  const ready = await request.get("/health/ready");
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toEqual({ status: "ready" });

  const errors = consoleErrors(page);
  const failed: string[] = [];
  page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) failed.push(`${r.url()}: ${r.status()}`);
  });
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Coupons", exact: true })).toBeVisible();
  await hydrated(page);

  const name = `RELEASE_${Date.now()}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Amount", { exact: true }).fill("3");
  await page.getByRole("button", { name: "Create coupon" }).click();
  await expect(page.getByRole("status")).toHaveText(`Created ${name}.`);

  for (const [user, remaining] of [["alice", 2], ["bob", 1]] as const) {
    const claim = await request.post("/api/coupons/claim", { data: { user_id: user, coupon_name: name } });
    expect(claim.status()).toBe(200);
    expect((await claim.json()).remaining_amount).toBe(remaining);
  }
  const again = await request.post("/api/coupons/claim", { data: { user_id: "alice", coupon_name: name } });
  expect(again.status()).toBe(409);
  expect((await again.json()).code).toBe("already_claimed");

  await page.goto(`/coupons/${name}`);
  await hydrated(page);
  await expect(page.getByRole("cell", { name: "alice", exact: true })).toBeVisible();
  await expect(page.getByRole("cell", { name: "bob", exact: true })).toBeVisible();
  expect(errors, "console errors while loading and hydrating").toEqual([]);
  expect(failed, "failed or refused requests of the pages").toEqual([]);
});

test("the release bundle is served compressed and cached", async ({ request }) => {
  const html = await (await request.get("/")).text();
  const assets = [...html.matchAll(/\/pkg\/[^"' >]+\.(?:js|wasm|css)/g)].map((m) => m[0]);
  expect(assets.length, `assets linked by the page: ${assets}`).toBeGreaterThanOrEqual(3);
  for (const asset of new Set(assets)) {
    const r = await request.get(asset, { headers: { "Accept-Encoding": "br, gzip" } });
    expect(r.status(), asset).toBe(200);
    expect(r.headers()["content-encoding"], asset).toBe("br");
    expect(r.headers()["cache-control"], asset).toContain("immutable");
  }
});
