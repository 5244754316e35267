import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { type APIRequestContext, expect, type Page, test } from "@playwright/test";

// The live dashboard in real Chromium: server-rendered numbers, then the SSE stream takes over.

const root = path.resolve(__dirname, "../..");

async function createCoupon(request: APIRequestContext, name: string, amount: number, base = "") {
  const created = await request.post(`${base}/api/coupons`, { data: { name, amount } });
  expect(created.status()).toBe(201);
}

async function claimAll(request: APIRequestContext, name: string, users: string[], base = "") {
  const responses = await Promise.all(
    users.map((user_id) => request.post(`${base}/api/coupons/claim`, { data: { user_id, coupon_name: name } })),
  );
  return responses.map((r) => r.status());
}

function panel(page: Page, name: string) {
  return page.getByRole("region", { name: `Live stock of ${name}` });
}

test("the dashboard follows 300 concurrent claims to sold out without reload", async ({ page, request }) => {
  const name = `E2E_LIVE_${Date.now()}`;
  await createCoupon(request, name, 200);
  await claimAll(request, name, ["early-bird"]);

  // Server-rendered with the current numbers: no empty flash before the stream connects.
  const html = await (await request.get(`/live?coupon=${encodeURIComponent(name)}`)).text();
  expect(html).toMatch(/data-testid="remaining"[^>]*>199</);

  const errors: string[] = [];
  // Hydration or stream errors would show here (the site has no favicon: that 404 is not one).
  page.on("console", (m) => {
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) errors.push(`${m.text()} ${m.location().url}`);
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`/live?coupon=${encodeURIComponent(name)}`);
  const live = panel(page, name);
  await expect(live.getByTestId("remaining")).toHaveText("199");
  await expect(page.locator("main[data-hydrated=true]")).toBeAttached();
  await expect(live.getByRole("status")).toHaveText("Live");
  await page.evaluate(() => ((window as unknown as { marker: string }).marker = "same page"));

  const users = Array.from({ length: 300 }, (_, i) => `buyer-${i}`);
  const statuses = await claimAll(request, name, users);
  expect(statuses.filter((s) => s === 200)).toHaveLength(199);
  expect(statuses.filter((s) => s === 409)).toHaveLength(101);

  await expect(live.getByTestId("remaining")).toHaveText("0");
  await expect(live.getByText(/^Sold out in \d+\.\d\d s$/)).toBeVisible();
  await expect(live.getByRole("progressbar", { name: "Claimed" })).toHaveAttribute("aria-valuenow", "200");
  await expect(live.getByRole("list", { name: "Newest claimers" }).getByRole("listitem")).toHaveCount(10);
  await expect(live.getByRole("listitem").filter({ hasText: /^buyer-\d+/ }).first()).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("same page");
  expect(errors).toEqual([]);
});

test("picking another coupon on /live switches the live panel", async ({ page, request }) => {
  const first = `E2E_PICK_A_${Date.now()}`;
  const second = `E2E_PICK_B 🎉 ${Date.now()}`;
  await createCoupon(request, first, 5);
  await createCoupon(request, second, 7);
  await page.goto(`/live?coupon=${encodeURIComponent(first)}`);
  await expect(page.locator("main[data-hydrated=true]")).toBeAttached();
  await expect(panel(page, first).getByRole("status")).toHaveText("Live");

  await page.getByRole("navigation", { name: "Coupons" }).getByRole("link", { name: second }).click();
  const live = panel(page, second);
  await expect(live.getByRole("status")).toHaveText("Live");
  await expect(live.getByTestId("remaining")).toHaveText("7");
  await expect(panel(page, first)).toHaveCount(0);
  expect(await claimAll(request, second, ["picker"])).toEqual([200]);
  await expect(live.getByTestId("remaining")).toHaveText("6");
  await expect(live.getByRole("list", { name: "Newest claimers" })).toContainText("picker");
});

// A server process of our own, so the test can stop and restart it on the same port
// (scripts/test.sh picks a free one, below the ephemeral range: see scripts/free-port.sh).
const ownPort = Number(process.env.E2E_OWN_PORT ?? "8202");
const ownBase = `http://127.0.0.1:${ownPort}`;

async function startOwnServer(): Promise<ChildProcess> {
  const bin = path.resolve(root, process.env.E2E_SERVER_BIN ?? "target/debug/server");
  const child = spawn(bin, [], {
    cwd: root,
    env: {
      ...process.env,
      LISTEN_ADDR: `127.0.0.1:${ownPort}`,
      DATABASE_URL: process.env.DATABASE_URL ?? "",
      LOG_LEVEL: "warn",
      RATE_LIMITS: "false",
    },
    stdio: "inherit",
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${ownBase}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("own server did not become healthy");
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  // SIGTERM must not hang on the open SSE stream (a bound on a hang, not a speed gate).
  await Promise.race([
    exited,
    new Promise((_, reject) => setTimeout(() => reject(new Error("SIGTERM took over 60 s")), 60_000)),
  ]);
}

test("the dashboard reconnects after a server restart and shows the right numbers", async ({ page, request }) => {
  test.setTimeout(300_000);
  const name = `E2E_RESTART_${Date.now()}`;
  let server = await startOwnServer();
  try {
    await createCoupon(request, name, 10, ownBase);
    await claimAll(request, name, ["a", "b"], ownBase);
    await page.goto(`${ownBase}/live?coupon=${encodeURIComponent(name)}`);
    const live = panel(page, name);
    await expect(live.getByRole("status")).toHaveText("Live");
    await expect(live.getByTestId("remaining")).toHaveText("8");
    // A claim on the other server process (same database) arrives through LISTEN/NOTIFY.
    expect(await claimAll(request, name, ["elsewhere"])).toEqual([200]);
    await expect(live.getByTestId("remaining")).toHaveText("7");

    await stop(server);
    await expect(live.getByRole("status")).toHaveText("Reconnecting…");
    // Claims while this server is down go through the other server on the same database.
    for (const user of ["down-1", "down-2", "down-3"]) {
      expect(await claimAll(request, name, [user])).toEqual([200]);
    }

    server = await startOwnServer();
    await expect(live.getByRole("status")).toHaveText("Live", { timeout: 60_000 });
    await expect(live.getByTestId("remaining")).toHaveText("4");
    await expect(live.getByRole("list", { name: "Newest claimers" }).getByRole("listitem").first()).toContainText("down-3");

    // And the stream keeps moving after the restart.
    expect(await claimAll(request, name, ["f"], ownBase)).toEqual([200]);
    await expect(live.getByTestId("remaining")).toHaveText("3");
  } finally {
    await stop(server);
  }
});
