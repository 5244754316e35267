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

// A flash sale that arrives from one address (a shop's backend, a carrier NAT) with the default
// rate limits: 1,000 shoppers at once for 100 units sell them all, and nobody gets a 429.
test("1,000 users from one address sell out a coupon under the default limits", async ({ request }) => {
  const name = `RELEASE_BURST_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 100 } })).status()).toBe(201);
  const answers = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      request.post("/api/coupons/claim", { data: { user_id: `burst-${i}`, coupon_name: name } }),
    ),
  );
  const tally: Record<string, number> = {};
  for (const answer of answers) {
    const code = answer.status() === 200 ? "200" : `${answer.status()} ${(await answer.json()).code}`;
    tally[code] = (tally[code] ?? 0) + 1;
  }
  expect(tally).toEqual({ "200": 100, "409 sold_out": 900 });
  const coupon = await (await request.get(`/api/coupons/${name}`)).json();
  expect([coupon.remaining_amount, coupon.claimed_by.length]).toEqual([0, 100]);
});

// API keys on the defaults: made through the API (the admin is open here), shown once, used for
// a claim; an unknown key is refused.
test("an API key made through the API claims; an unknown key is refused", async ({ request }) => {
  const name = `RELEASE_KEY_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 5 } })).status()).toBe(201);
  const made = await request.post("/api/keys", { data: { name: "release check", scopes: ["claim"] } });
  expect(made.status()).toBe(201);
  const { key } = await made.json();
  const claim = (bearer: string, user: string) =>
    request.post("/api/coupons/claim", {
      headers: { authorization: `Bearer ${bearer}` },
      data: { user_id: user, coupon_name: name },
    });
  expect((await claim(key, "keyed")).status()).toBe(200);
  const unknown = await claim(`ck_${"x".repeat(43)}`, "guess");
  expect(unknown.status()).toBe(401);
  expect((await unknown.json()).code).toBe("invalid_key");
  expect((await (await request.get(`/api/coupons/${name}`)).json()).claimed_by).toEqual(["keyed"]);
});

test("the Webhooks page refuses an endpoint on this machine under the default settings", async ({ page, request }) => {
  const url = "http://127.0.0.1:9/hook";
  const refused = await request.post("/api/webhooks", { data: { url, events: ["claim.created"] } });
  expect(refused.status()).toBe(400);
  expect((await refused.json()).error).toContain("loopback");
  await page.goto("/webhooks");
  await hydrated(page);
  await page.getByLabel("URL", { exact: true }).fill("http://localhost:9/hook");
  await page.getByLabel("claim.created", { exact: true }).check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByRole("alert")).toContainText("is a loopback address");
  const listed = await (await request.get("/api/webhooks")).json();
  expect(listed.filter((w: { url: string }) => w.url.includes(":9/hook"))).toEqual([]);
});

// The shoppers' stock read on the defaults: from memory, revalidated with its ETag, and the
// public stream hears a claim; neither names a claimer.
test("the stock read and stream serve shoppers on the defaults", async ({ request, baseURL }) => {
  const name = `RELEASE_STOCK_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name, amount: 4 } })).status()).toBe(201);
  const first = await request.get(`/api/coupons/${name}/stock`);
  expect(first.status()).toBe(200);
  expect(first.headers()["cache-control"]).toBe("public, max-age=1");
  expect(await first.json()).toMatchObject({ name, amount: 4, remaining_amount: 4, claimed: 0, status: "live" });
  const etag = first.headers()["etag"];
  expect((await request.get(`/api/coupons/${name}/stock`, { headers: { "if-none-match": etag } })).status()).toBe(304);

  const events: string[] = [];
  const controller = new AbortController();
  const stream = await fetch(`${baseURL}/api/coupons/${name}/stock/events`, { signal: controller.signal });
  expect(stream.status).toBe(200);
  const reader = stream.body!.getReader();
  const read = (async () => {
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += new TextDecoder().decode(value);
      events.push(...text.split("\n\n").slice(0, -1));
      text = text.split("\n\n").pop()!;
    }
  })().catch(() => {});
  expect((await request.post("/api/coupons/claim", { data: { user_id: "stock-watcher", coupon_name: name } })).status()).toBe(200);
  await expect.poll(() => events.some((e) => e.includes('"remaining_amount":3')), { timeout: 30_000 }).toBe(true);
  await expect.poll(async () => (await (await request.get(`/api/coupons/${name}/stock`)).json()).claimed).toBe(1);
  controller.abort();
  await read;
  expect(events.join("\n")).not.toContain("stock-watcher");
  expect(events[0]).toContain("event: stock");
});
