import { expect, test } from "@playwright/test";
import { ADMIN_PASSWORD } from "../playwright.config";
import { screenshots } from "./shots";

// This project's server runs with ADMIN_PASSWORD set.

test("no admin page or admin call is reachable without signing in", async ({ page, request }) => {
  const name = `E2E_AUTH_${Date.now()}`;
  const bearer = { Authorization: `Bearer ${ADMIN_PASSWORD}` };
  const created = await request.post("/api/coupons", { data: { name, amount: 5 }, headers: bearer });
  expect(created.status()).toBe(201);

  for (const path of ["/", `/coupons/${name}`, "/?page=2", "/nowhere"]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/signin\?next=/);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await expect(page.getByText(name)).toHaveCount(0);
  }
  const refused = [
    request.get(`/api/coupons/${name}/claims`),
    request.get(`/api/coupons/${name}/claims.csv`),
    request.post("/api/coupons", { data: { name: `${name}_2`, amount: 1 } }),
    request.post("/rpc/create_coupon", { form: { name: `${name}_3`, amount: "1" } }),
    request.post("/rpc/coupon_page", { form: { page: "1" } }),
    request.get(`/api/coupons/${name}/claims`, { headers: { Authorization: "Bearer wrong" } }),
  ];
  for (const response of await Promise.all(refused)) {
    expect(response.status(), response.url()).toBe(401);
    expect((await response.json()).code).toBe("unauthorized");
  }
  expect((await request.get(`/api/coupons/${name}_2`)).status()).toBe(404);

  // Shoppers' calls stay open.
  const claim = await request.post("/api/coupons/claim", { data: { user_id: "shopper", coupon_name: name } });
  expect(claim.status()).toBe(200);
  expect((await request.get(`/api/coupons/${name}`)).status()).toBe(200);
  // Scripts use the bearer token.
  const claims = await request.get(`/api/coupons/${name}/claims`, { headers: bearer });
  expect((await claims.json()).claims[0].user_id).toBe("shopper");
});

test("a wrong password is refused, the right one signs in, sign-out signs out", async ({ page, request }) => {
  const name = `E2E_SIGNIN_${Date.now()}`;
  const bearer = { Authorization: `Bearer ${ADMIN_PASSWORD}` };
  expect((await request.post("/api/coupons", { data: { name, amount: 3 }, headers: bearer })).status()).toBe(201);

  await page.goto(`/coupons/${name}`);
  await expect(page).toHaveURL(/\/signin\?next=/);
  await screenshots(page, "signin");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong password. Try again.");
  await expect(page.getByLabel("Password")).toHaveAccessibleDescription("Wrong password. Try again.");
  await screenshots(page, "signin-wrong");

  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Back where the admin was going.
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await expect(page.getByRole("complementary", { name: "Admin access" })).toHaveCount(0);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "coupons_admin");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Strict");
  // The session opens the admin JSON calls for this browser too.
  expect((await page.request.get(`/api/coupons/${name}/claims`)).status()).toBe(200);

  await page.goto("/");
  await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("status")).toHaveText("You are signed out.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin\?next=/);
  expect((await page.request.get(`/api/coupons/${name}/claims`)).status()).toBe(401);
});
