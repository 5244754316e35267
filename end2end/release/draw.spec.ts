import { createHash, createHmac } from "node:crypto";
import { expect, test } from "@playwright/test";
import { consoleErrors, hydrated } from "../tests/shots";

// A fair sale as an admin and 30 shoppers run it on the release build of `make run`, with its
// defaults (docs/draw.md): the draw coupon made in the New coupon form, 30 entries through the
// API, the window closed, "Draw now", the winners and the decile chart, the proof checked here
// with Node's own crypto (not the server's code), then a winner released in the UI and the unit
// given by the server's sweeper to the first waitlisted entry.

const UNITS = 5;
const ENTRANTS = 30;

/** A date and time `ms` from now, as the form's datetime field takes it (UTC, to the second). */
function utcField(ms: number) {
  return new Date(Date.now() + ms).toISOString().slice(0, 19);
}

test("a draw sale: entries, the draw and its proof, and a released unit that the waitlist takes", async ({ page, request }) => {
  const errors = consoleErrors(page);
  const name = `RELEASE_DRAW_${Date.now()}`;
  const path = `/api/coupons/${name}`;

  // The admin makes the draw coupon in the UI; its commitment is public at once.
  await page.goto("/");
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Amount", { exact: true }).fill(String(UNITS));
  await page.getByLabel("Allocation").selectOption("draw");
  await page.getByLabel("Entries close (a draw, UTC)").fill(utcField(60 * 60_000));
  await page.getByRole("button", { name: "Create coupon" }).click();
  await expect(page.getByRole("status")).toHaveText(`Created ${name}.`);
  const created = await (await request.get(path)).json();
  expect(created.allocation).toBe("draw");
  expect(created.draw.state).toBe("open");
  const commitment: string = created.draw.commitment;
  expect(commitment).toMatch(/^[0-9a-f]{64}$/);

  // 30 shoppers enter through the API, one after the other (so the deciles are real entry
  // times); a second entry is refused.
  const users = Array.from({ length: ENTRANTS }, (_, i) => `shopper-${String(i).padStart(2, "0")}`);
  for (const user_id of users) {
    const entry = await request.post("/api/coupons/claim", { data: { user_id, coupon_name: name } });
    expect(entry.status(), user_id).toBe(202);
    expect(await entry.json()).toMatchObject({ user_id, coupon_name: name, state: "entered" });
  }
  const twice = await request.post("/api/coupons/claim", { data: { user_id: users[0], coupon_name: name } });
  expect([twice.status(), (await twice.json()).code]).toEqual([409, "already_entered"]);
  await expect
    .poll(async () => (await (await request.get(`${path}/stock`)).json()).draw)
    .toMatchObject({ entries: ENTRANTS, state: "open" });

  // The coupon page: the entries, the commitment, no draw before the window closes.
  await page.goto(`/coupons/${name}`);
  await hydrated(page);
  const live = page.getByRole("region", { name: `Live stock of ${name}` });
  await expect(live.getByTestId("live-draw")).toHaveText(`${ENTRANTS} entries · draw open`);
  await expect(page.getByTestId("commitment")).toHaveText(commitment);
  await expect(page.getByTestId("draw-entries")).toHaveText(String(ENTRANTS));
  await expect(page.getByRole("button", { name: "Draw now" })).toBeDisabled();

  // The window closes (the admin moves its end to now); "Draw now" draws.
  const closed = await request.patch(path, { data: { ends_at: new Date().toISOString() } });
  expect(closed.status()).toBe(200);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("draw-state")).toHaveText("Entries have closed; the draw has not run yet.");
  await page.getByRole("button", { name: "Draw now" }).click();
  await expect(page.getByTestId("draw-winners")).toHaveText(String(UNITS));
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("draw-state")).toHaveText("Drawn.");
  await expect(page.getByTestId("draw-waitlist")).toHaveText(String(ENTRANTS - UNITS));
  await expect(live.getByTestId("live-draw")).toHaveText(`${ENTRANTS} entries · draw drawn`);

  // Entries over time: ten bars holding every entry.
  const tenths = await page
    .getByTestId("timeline")
    .getByRole("listitem")
    .evaluateAll((items) => items.map((li) => li.getAttribute("aria-label") ?? ""));
  expect(tenths).toHaveLength(10);
  expect(tenths.reduce((sum, l) => sum + Number(l.match(/: (\d+) entries$/)?.[1] ?? NaN), 0)).toBe(ENTRANTS);

  // The decile chart: ten bars, every entry and every winner in one of them.
  const bars = page.getByTestId("deciles").getByRole("listitem");
  await expect(bars).toHaveCount(10);
  const labels = await bars.evaluateAll((items) => items.map((li) => li.getAttribute("aria-label") ?? ""));
  const parsed = labels.map((l) => l.match(/^Decile (\d+): (\d+) winners of (\d+) entries$/));
  expect(parsed.every(Boolean), labels.join("; ")).toBe(true);
  expect(parsed.reduce((sum, m) => sum + Number(m![2]), 0)).toBe(UNITS);
  expect(parsed.reduce((sum, m) => sum + Number(m![3]), 0)).toBe(ENTRANTS);

  // The proof, checked here: the seed matches the commitment, and each entrant's ticket,
  // computed from the seed and the user id alone, ranks the entrants exactly as the server did.
  const proofAnswer = await request.get(`${path}/draw`);
  expect(proofAnswer.status()).toBe(200);
  const proof = await proofAnswer.json();
  expect(proof).toMatchObject({ algorithm: "hmac-sha256-v1", commitment, entries: ENTRANTS, winners: UNITS });
  const seed = Buffer.from(proof.seed, "hex");
  expect(createHash("sha256").update(seed).digest("hex")).toBe(commitment);
  const key = createHash("sha256")
    .update(Buffer.concat([seed, Buffer.from(proof.beacon ?? proof.algorithm, "utf8")]))
    .digest();
  const ranked = users
    .map((user) => ({ user, ticket: createHmac("sha256", key).update(user, "utf8").digest("hex") }))
    .sort((a, b) => (a.ticket < b.ticket ? -1 : 1));
  const tickets = await (await request.get(proof.tickets)).text();
  expect(createHash("sha256").update(tickets).digest("hex")).toBe(proof.tickets_digest);
  expect(tickets).not.toContain("shopper-");
  const expected = ranked.map((r, i) => `${i + 1},${r.ticket},${i < UNITS ? "won" : "waitlisted"}\n`).join("");
  expect(tickets).toBe(expected);
  const winners = ranked.slice(0, UNITS).map((r) => r.user);
  const coupon = await (await request.get(path)).json();
  expect([...coupon.claimed_by].sort()).toEqual([...winners].sort());

  // A winner's claim released in the UI: the first waitlisted entry gets the unit by itself.
  const [released, next] = [winners[0], ranked[UNITS].user];
  await page.getByRole("link", { name: `Release the claim of ${released}` }).click();
  await page.getByRole("button", { name: "Release claim" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Released the claim of ${released}.` })).toBeVisible();
  await expect
    .poll(async () => (await (await request.get(`${path}/entries/${next}`)).json()).state, {
      message: `the first waitlisted entry (${next}) to be given the released unit`,
      timeout: 60_000,
    })
    .toBe("won");
  expect((await (await request.get(`${path}/entries/${released}`)).json()).state).toBe("lost");
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("cell", { name: next, exact: true })).toBeVisible();
  await expect(page.getByTestId("draw-waitlist")).toHaveText(String(ENTRANTS - UNITS - 1));
  const after = await (await request.get(path)).json();
  expect([after.remaining_amount, after.claimed_by.length]).toEqual([0, UNITS]);
  expect(errors, "console errors").toEqual([]);
});
