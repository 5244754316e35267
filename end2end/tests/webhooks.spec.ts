import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { createServer, IncomingHttpHeaders } from "node:http";
import { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { consoleErrors, hydrated, screenshots } from "./shots";

type Delivery = { headers: IncomingHttpHeaders; body: string };

/** A receiver on 127.0.0.1 that answers 500 to each event's first attempt, then 200. */
async function receiver() {
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const id = String(req.headers["webhook-id"]);
      const first = !got.some((d) => d.headers["webhook-id"] === id);
      got.push({ headers: req.headers, body });
      res.statusCode = first ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => server.close() };
}

/** The Node.js verifier of docs/webhooks.md, as the docs print it. */
function documentedVerify(): (secret: string, headers: IncomingHttpHeaders, body: string) => boolean {
  const docs = readFileSync(`${__dirname}/../../docs/webhooks.md`, "utf8");
  const code = /```js\n([\s\S]*?)```/.exec(docs)?.[1];
  expect(code, "docs/webhooks.md has a js block").toBeTruthy();
  return new Function("require", `${code}\nreturn verify;`)(createRequire(__filename));
}

test("an admin adds a webhook, sees its secret once, and follows its deliveries", async ({ page, request }) => {
  const hook = await receiver();
  const verify = documentedVerify();
  const errors = consoleErrors(page);
  await page.goto("/webhooks");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Webhooks", exact: true })).toBeVisible();

  await page.getByLabel("URL", { exact: true }).fill(hook.url);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByRole("alert")).toContainText("Tick at least one event");
  await page.getByLabel("claim.created", { exact: true }).check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const secret = (await page.getByLabel("Signing secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  const row = page.getByRole("row").filter({ hasText: hook.url });
  await expect(row).toContainText("enabled");
  await screenshots(page, "webhooks");

  // A claim arrives signed (the docs' verifier agrees), after one retry of the 500.
  const coupon = `E2E_HOOKS_${Date.now()}`;
  expect((await request.post("/api/coupons", { data: { name: coupon, amount: 5 } })).status()).toBe(201);
  expect((await request.post("/api/coupons/claim", { data: { user_id: "hooked", coupon_name: coupon } })).status()).toBe(200);
  await expect.poll(() => hook.got.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  const delivery = hook.got[1];
  expect(verify(secret, delivery.headers, delivery.body)).toBe(true);
  expect(verify(secret.replace(/^whsec_./, "whsec_A"), delivery.headers, delivery.body)).toBe(false);
  expect(JSON.parse(delivery.body)).toMatchObject({ type: "claim.created", data: { coupon_name: coupon, user_id: "hooked" } });

  // The delivery log shows the two attempts; "Send again" sends the same event once more.
  await row.getByRole("link", { name: hook.url }).click();
  await expect(page.getByRole("heading", { name: "Deliveries" })).toBeVisible();
  await hydrated(page);
  const logged = page.getByRole("row").filter({ hasText: "claim.created" });
  await expect(logged).toContainText("delivered");
  await expect(logged.getByRole("cell").nth(2)).toHaveText("2");
  await expect(logged.getByRole("cell").nth(3)).toHaveText("200");
  await logged.getByRole("button", { name: /^Send evt_/ }).click();
  await expect.poll(() => hook.got.length, { timeout: 60_000 }).toBe(3);
  expect(hook.got[2].headers["webhook-id"]).toBe(delivery.headers["webhook-id"]);

  // Disable, rotate (a new secret, shown once), delete.
  await page.goto("/webhooks");
  await hydrated(page);
  await row.getByRole("button", { name: `Disable ${hook.url}` }).click();
  await expect(row).toContainText("disabled");
  await row.getByRole("button", { name: `Rotate the secret of ${hook.url}` }).click();
  const rotated = (await page.getByLabel("Signing secret").textContent())?.trim() ?? "";
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);
  await row.getByRole("button", { name: `Delete ${hook.url}` }).click();
  await expect(row).toHaveCount(0);
  hook.close();
  // The one refusal of the form above (no event ticked) is a 400 the browser logs; nothing else.
  expect(errors.filter((e) => !e.includes("status of 400")), "console errors").toEqual([]);
});
