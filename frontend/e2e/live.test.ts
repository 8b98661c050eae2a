// Live updates between browser contexts: every change of one shows in the other of the same
// owner without a reload, never in another owner's; and after the gateway restarts, the page
// reconnects and catches up with `sync` on what it missed.

import type { Page } from "playwright-core";
import { expect, it, onTestFinished } from "vitest";
import { freshDatabase, Gateway, newOwner } from "./gateway";
import { addGoal, api, eachEngine, labels, liveStatus, openSignedIn, signedInOwner, useBrowser } from "./helpers";

const completedFlags = (page: Page) =>
  page.locator("ul.todo-list > li").evaluateAll((lis) => lis.map((li) => li.classList.contains("completed")));

/** How long a change may take to reach another tab. */
const LIVE_WITHIN_MS = 1_000;

eachEngine((engine) => {
  const browser = useBrowser();

  it("shows each add, toggle, rename and delete in the owner's other context within a second", async () => {
    const { page: first, key } = await signedInOwner(browser(), engine());
    const second = await openSignedIn(browser(), engine().base, key);
    const within = { timeout: LIVE_WITHIN_MS, interval: 20 };

    await addGoal(first, "learn the violin");
    await expect.poll(() => labels(second), within).toEqual(["learn the violin"]);
    await addGoal(second, "walk the dog");
    await expect.poll(() => labels(first), within).toEqual(["learn the violin", "walk the dog"]);

    await first.locator("ul.todo-list > li").nth(0).locator("input.toggle").check();
    await expect.poll(() => completedFlags(second), within).toEqual([true, false]);
    await expect.poll(() => second.locator("span.todo-count").textContent(), within).toBe("1 goal left");

    await second.locator("ul.todo-list > li").nth(1).locator("label").dblclick();
    await second.locator("ul.todo-list > li").nth(1).locator("input.edit").fill("walk the dogs");
    await second.locator("ul.todo-list > li").nth(1).locator("input.edit").press("Enter");
    await expect.poll(() => labels(first), within).toEqual(["learn the violin", "walk the dogs"]);

    await first.locator("ul.todo-list > li").nth(0).hover();
    await first.locator("ul.todo-list > li").nth(0).locator("button.destroy").click();
    await expect.poll(() => labels(second), within).toEqual(["walk the dogs"]);
    // Each tab applied its own change and then its echo: still one of each.
    expect(await labels(first)).toEqual(["walk the dogs"]);
    await first.context().close();
    await second.context().close();
  });

  it("keeps another owner's context empty and sends it no event", async () => {
    const { page: mine } = await signedInOwner(browser(), engine());
    const { key: theirKey } = await newOwner(engine().databaseUrl, "other");
    const theirs = await openSignedIn(browser(), engine().base, theirKey);
    const frames: string[] = [];
    theirs.on("websocket", (socket) => socket.on("framereceived", (frame) => frames.push(String(frame.payload))));
    // The socket opened before the listener: record from a fresh one.
    await theirs.reload();
    await liveStatus(theirs, "Live");
    frames.length = 0;

    await addGoal(mine, "a private goal");
    await expect.poll(() => labels(mine)).toEqual(["a private goal"]);
    await mine.locator("ul.todo-list input.toggle").check();
    await expect.poll(() => completedFlags(mine)).toEqual([true]);
    // A marker change of their own proves their socket was delivering meanwhile.
    await api(engine().base, theirKey).create("their goal");
    await expect.poll(() => labels(theirs)).toEqual(["their goal"]);
    expect(frames.filter((frame) => frame.includes("private"))).toEqual([]);
    expect(frames.filter((frame) => frame.startsWith('{"type":"goal.'))).toHaveLength(1);
    await mine.context().close();
    await theirs.context().close();
  });

  it("says it is reconnecting while the gateway is down, and catches up after it restarts", async () => {
    // Its own gateway and database: stopping the shared one would disturb the other tests.
    const database = await freshDatabase(engine().name);
    let gateway = await Gateway.start(database.url);
    onTestFinished(async () => {
      await gateway.stop();
      await database.drop();
    });
    const { key } = await newOwner(database.url);
    const page = await openSignedIn(browser(), gateway.base, key);
    await addGoal(page, "before the restart");
    await expect.poll(() => labels(page)).toEqual(["before the restart"]);

    await gateway.stop();
    await liveStatus(page, "Reconnecting");
    // While the page's gateway is down, a change is made through another gateway on the same
    // database: no push can reach the page, only the sync after it reconnects.
    const other = await Gateway.start(database.url);
    await api(other.base, key).create("made while away");
    await other.stop();

    gateway = await Gateway.start(database.url, gateway.port);
    await liveStatus(page, "Live");
    await expect.poll(() => labels(page), { timeout: 5_000 }).toEqual(["before the restart", "made while away"]);
    // And live again: a change arrives without a reload.
    await api(gateway.base, key).create("after the restart");
    await expect.poll(() => labels(page)).toEqual(["before the restart", "made while away", "after the restart"]);
    await page.context().close();
  });
});
