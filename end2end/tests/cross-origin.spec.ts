import { createHmac } from "node:crypto";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { baseURL, shopPort, TOKEN_AUDIENCE, TOKEN_SECRET } from "../playwright.config";

// The shop's own site on another origin: a page that claims through fetch with the shopper token
// its backend minted. Served on one port and reached by two names: http://127.0.0.1:<port> is in
// the server's CORS_ALLOWED_ORIGINS, http://localhost:<port> is not.

/** An HS256 shopper token for `sub`, as a shop's backend signs it (no library needed). */
function shopperToken(sub: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const message = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub, aud: TOKEN_AUDIENCE, iat: now, exp: now + 300 })}`;
  return `${message}.${createHmac("sha256", TOKEN_SECRET).update(message).digest("base64url")}`;
}

const shopPage = (api: string, coupon: string, token: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>
<button id="claim">Claim</button><output id="result">idle</output>
<p>Stock: <output id="stock">waiting</output></p>
<script>
// The "N left" badge follows the public stock stream (no claimer ids, from the server's memory).
const stock = new EventSource(${JSON.stringify(api)} + "/api/coupons/" + encodeURIComponent(${JSON.stringify(coupon)}) + "/stock/events");
stock.addEventListener("stock", (event) => {
  const state = JSON.parse(event.data);
  document.getElementById("stock").textContent = state.remaining_amount + " left, " + state.status;
});
stock.onerror = () => {
  if (stock.readyState === EventSource.CLOSED) document.getElementById("stock").textContent = "stream blocked";
};
document.getElementById("claim").onclick = async () => {
  const out = document.getElementById("result");
  try {
    const answer = await fetch(${JSON.stringify(api)} + "/api/coupons/claim", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + ${JSON.stringify(token)} },
      body: JSON.stringify({ coupon_name: ${JSON.stringify(coupon)} }),
    });
    out.textContent = answer.status + " " + JSON.stringify(await answer.json());
  } catch (error) {
    out.textContent = "blocked: " + error.message;
  }
};
</script></body></html>`;

let shop: Server;
const coupon = `E2E_SHOP_${Date.now()}`;

test.beforeAll(async () => {
  shop = createServer((request, response) => {
    const sub = new URL(request.url ?? "/", "http://x").searchParams.get("user") ?? "nobody";
    response.writeHead(200, { "content-type": "text/html" });
    response.end(shopPage(baseURL, coupon, shopperToken(sub)));
  });
  await new Promise<void>((resolve) => shop.listen(shopPort, "127.0.0.1", resolve));
  expect((shop.address() as AddressInfo).port).toBe(shopPort);
});

test.afterAll(() => new Promise<void>((resolve) => shop.close(() => resolve())));

test("a page on the shop's origin claims with a shopper token; another origin is blocked", async ({ page, request }) => {
  expect((await request.post("/api/coupons", { data: { name: coupon, amount: 5 } })).status()).toBe(201);

  await page.goto(`http://127.0.0.1:${shopPort}/?user=web-alice`);
  await expect(page.locator("#stock")).toHaveText("5 left, live");
  await page.getByRole("button", { name: "Claim" }).click();
  await expect(page.locator("#result")).toHaveText(/^200 .*"user_id":"web-alice"/);
  // The badge hears the claim over the stream, with no reload.
  await expect(page.locator("#stock")).toHaveText("4 left, live");

  // Another origin (localhost is not 127.0.0.1 to a browser): the browser refuses the answer.
  await page.goto(`http://localhost:${shopPort}/?user=web-mallory`);
  await page.getByRole("button", { name: "Claim" }).click();
  await expect(page.locator("#result")).toHaveText(/^blocked: /);
  await expect(page.locator("#stock")).toHaveText("stream blocked");

  const read = await (await request.get(`/api/coupons/${coupon}`)).json();
  expect(read.claimed_by).toEqual(["web-alice"]);
});
