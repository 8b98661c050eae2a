// Signing in and out, and what the page does with the API's refusals and with hostile names:
// alerts with the API's own message, one goal for a double Enter, names shown as text, and no
// Content-Security-Policy violation along the way.

import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { newOwner } from "./gateway";
import { addGoal, api, eachEngine, labels, liveStatus, openSite, signedInOwner, signIn, useBrowser } from "./helpers";

const alertText = (page: Page) => page.getByRole("alert").textContent();

/** Collects the page's console errors (a CSP violation is one). */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().includes("404")) errors.push(message.text());
  });
  return errors;
}

eachEngine((engine) => {
  const browser = useBrowser();

  it("signs in with a valid key, remembers it across reloads, and signs out closing the socket", async () => {
    const { key } = await newOwner(engine().databaseUrl);
    const page = await openSite(browser(), engine().base);
    const errors = consoleErrors(page);
    expect(await page.locator("input.new-todo").isVisible()).toBe(false);
    expect(await page.locator("form.sign-in label").textContent()).toContain("API key");
    const sockets: { closed: boolean }[] = [];
    page.on("websocket", (socket) => {
      const entry = { closed: false };
      sockets.push(entry);
      socket.on("close", () => (entry.closed = true));
    });
    await signIn(page, key);
    await liveStatus(page, "Live");
    expect(await page.locator("input.new-todo").evaluate((input) => input === document.activeElement)).toBe(true);
    await addGoal(page, "stay signed in");
    await expect.poll(() => labels(page)).toEqual(["stay signed in"]);

    await page.reload();
    sockets.length = 0; // the reload dropped the first page's socket
    await expect.poll(() => labels(page)).toEqual(["stay signed in"]);
    expect(await page.locator("form.sign-in").isVisible()).toBe(false);
    await liveStatus(page, "Live");

    expect(sockets.length).toBe(1);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#api-key").waitFor();
    expect(await labels(page)).toEqual([]);
    await expect.poll(() => sockets.every((socket) => socket.closed)).toBe(true);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.reload();
    await page.locator("#api-key").waitFor();
    expect(await page.locator("input.new-todo").isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("signs in with a key submitted before config.json has arrived", async () => {
    const { key } = await newOwner(engine().databaseUrl);
    const context = await browser().newContext();
    const page = await context.newPage();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/config.json", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(engine().base);
    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    release();
    await page.locator("input.new-todo").waitFor();
    await liveStatus(page, "Live");
    expect(await page.getByRole("alert").textContent()).toBe("");
    await context.close();
  });

  it("shows the API's message for a refused key in role=alert and stays on the form", async () => {
    const unknown = `gt_${"A".repeat(43)}`;
    const refusal = await fetch(`${engine().base}/goals`, { headers: { Authorization: `Bearer ${unknown}` } });
    const { error } = (await refusal.json()) as { error: { message: string } };
    const page = await openSite(browser(), engine().base);
    await page.getByLabel("API key").fill(unknown);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => alertText(page)).toBe(error.message);
    expect(await page.locator("form.sign-in").isVisible()).toBe(true);
    expect(await page.locator("input.new-todo").isVisible()).toBe(false);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.context().close();
  });

  it("shows a refused change's message and leaves the list as the server has it", async () => {
    const { page, key } = await signedInOwner(browser(), engine());
    await addGoal(page, "a name that fits");
    await expect.poll(() => labels(page)).toEqual(["a name that fits"]);
    await addGoal(page, "x".repeat(256));
    await expect.poll(() => alertText(page)).toMatch(/255|name/i);
    expect(await labels(page)).toEqual(["a name that fits"]);
    expect((await api(engine().base, key).goals()).map((goal) => goal.name)).toEqual(["a name that fits"]);
    // The next change that succeeds clears the alert.
    await page.locator("ul.todo-list input.toggle").check();
    await expect.poll(() => alertText(page)).toBe("");
    await page.context().close();
  });

  it("makes one goal of a double Enter", async () => {
    const { page, key } = await signedInOwner(browser(), engine());
    await page.locator("input.new-todo").fill("only once");
    await page.locator("input.new-todo").press("Enter");
    await page.locator("input.new-todo").press("Enter");
    await expect.poll(() => labels(page)).toEqual(["only once"]);
    await new Promise((done) => setTimeout(done, 300));
    expect((await api(engine().base, key).goals()).map((goal) => goal.name)).toEqual(["only once"]);
    expect(await labels(page)).toEqual(["only once"]);
    await page.context().close();
  });

  it("sends a fresh Idempotency-Key with each new goal", async () => {
    const { page } = await signedInOwner(browser(), engine());
    const keys: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") keys.push(request.headers()["idempotency-key"]);
    });
    await addGoal(page, "first");
    await expect.poll(() => labels(page)).toEqual(["first"]);
    await addGoal(page, "second");
    await expect.poll(() => labels(page)).toEqual(["first", "second"]);
    expect(keys).toHaveLength(2);
    expect(keys.every((key) => key && /^[0-9a-f-]{36}$/.test(key))).toBe(true);
    expect(new Set(keys).size).toBe(2);
    await page.context().close();
  });

  it("shows a name that looks like markup as text", async () => {
    const { page, key } = await signedInOwner(browser(), engine());
    const errors = consoleErrors(page);
    let dialogs = 0;
    page.on("dialog", async (dialog) => {
      dialogs++;
      await dialog.dismiss();
    });
    const hostile = "<img src=x onerror=alert(1)>";
    await addGoal(page, hostile);
    await expect.poll(() => labels(page)).toEqual([hostile]);
    await api(engine().base, key).create(`<script>alert(2)</script>`);
    await expect.poll(() => labels(page)).toEqual([hostile, "<script>alert(2)</script>"]);
    expect(await page.locator("ul.todo-list img, ul.todo-list script").count()).toBe(0);
    await page.reload();
    await expect.poll(() => labels(page)).toEqual([hostile, "<script>alert(2)</script>"]);
    expect(await page.locator("ul.todo-list img, ul.todo-list script").count()).toBe(0);
    expect(dialogs).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows every goal of a list longer than a page, following next_cursor", async () => {
    const { key } = await newOwner(engine().databaseUrl);
    const client = api(engine().base, key);
    const names = Array.from({ length: 105 }, (_, i) => `goal ${String(i + 1).padStart(3, "0")}`);
    for (const name of names) await client.create(name);
    const page = await openSite(browser(), engine().base);
    await signIn(page, key);
    await expect.poll(() => labels(page)).toEqual(names);
    expect(await page.locator("span.todo-count").textContent()).toBe("105 goals left");
    await page.context().close();
  });
});
