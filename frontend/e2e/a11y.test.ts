// Accessibility: axe-core finds no serious or critical violation on the signed-out and the
// signed-in page, and the whole flow works with the keyboard alone.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { newOwner } from "./gateway";
import { addGoals, eachEngine, labels, liveStatus, openSite, signedInOwner, useBrowser } from "./helpers";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown }[];
}

/** axe-core's serious and critical violations on the page as it is (WCAG 2.x A and AA rules, and best practices). */
async function seriousViolations(page: Page): Promise<Violation[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.map(({ target }) => ({ target })) }));
}

const focused = (page: Page) =>
  page.evaluate(() => {
    const active = document.activeElement;
    return active ? `${active.tagName.toLowerCase()}.${active.className}` : "";
  });

eachEngine((engine) => {
  const browser = useBrowser();

  it("has no serious or critical axe violation signed out", async () => {
    const page = await openSite(browser(), engine().base);
    expect(await seriousViolations(page)).toEqual([]);
    // The check can fail: a button without a name is a critical violation.
    await page.evaluate(() => document.body.append(document.createElement("button")));
    expect((await seriousViolations(page)).map((violation) => violation.id)).toEqual(["button-name"]);
    await page.context().close();
  });

  it("has no serious or critical axe violation signed in, with active and completed goals", async () => {
    const { page } = await signedInOwner(browser(), engine());
    await addGoals(page, ["write the report", "water the plants"]);
    await page.locator("ul.todo-list > li").nth(1).locator("input.toggle").check();
    await page.locator("ul.todo-list > li.completed").waitFor();
    await page.locator("ul.todo-list > li").nth(0).hover();
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it("works with the keyboard alone: sign in, add, complete, rename, delete, filter, sign out", async () => {
    const { key } = await newOwner(engine().databaseUrl);
    const page = await openSite(browser(), engine().base);
    const keyboard = page.keyboard;
    await expect.poll(() => focused(page)).toBe("input.");
    await keyboard.type(key);
    await keyboard.press("Enter");
    await liveStatus(page, "Live");
    expect(await focused(page)).toBe("input.new-todo");

    await keyboard.type("first goal");
    await keyboard.press("Enter");
    await expect.poll(() => labels(page)).toEqual(["first goal"]);
    await keyboard.type("second goal");
    await keyboard.press("Enter");
    await expect.poll(() => labels(page)).toEqual(["first goal", "second goal"]);

    // new-goal field → mark all → the first goal's checkbox, its name, its delete button.
    await keyboard.press("Tab");
    expect(await focused(page)).toBe("input.toggle-all");
    await keyboard.press("Tab");
    expect(await focused(page)).toBe("input.toggle");
    await keyboard.press("Space");
    await expect.poll(() => page.locator("ul.todo-list > li.completed label").allTextContents()).toEqual(["first goal"]);

    await keyboard.press("Tab");
    expect(await focused(page)).toBe("label.");
    await keyboard.press("Enter");
    expect(await focused(page)).toBe("input.edit");
    await keyboard.press("End");
    await keyboard.type(", renamed");
    await keyboard.press("Enter");
    await expect.poll(() => labels(page)).toEqual(["first goal, renamed", "second goal"]);

    await keyboard.press("Tab");
    expect(await focused(page)).toBe("button.destroy");
    await keyboard.press("Enter");
    await expect.poll(() => labels(page)).toEqual(["second goal"]);
    expect(await focused(page)).toBe("input.new-todo");

    // Forward through the list to the filters.
    for (let i = 0; i < 5 && (await focused(page)) !== "a."; i++) await keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("All");
    await keyboard.press("Tab");
    await keyboard.press("Enter");
    await expect.poll(() => page.locator("ul.filters a.selected").textContent()).toBe("Active");

    for (let i = 0; i < 10 && (await focused(page)) !== "button.sign-out"; i++) await keyboard.press("Tab");
    expect(await focused(page)).toBe("button.sign-out");
    await keyboard.press("Enter");
    await page.locator("#api-key").waitFor();
    expect(await focused(page)).toBe("input.");
    await page.context().close();
  });
});
