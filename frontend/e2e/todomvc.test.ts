// The behaviours of the TodoMVC acceptance suite (tastejs/todomvc), on this app's markup and
// words ("goal" for "item"), against the real API: new goal, mark all, item, editing, counter,
// clear completed, persistence, routing.

import type { Page } from "playwright-core";
import { beforeEach, expect, it } from "vitest";
import { addGoal, addGoals, eachEngine, labels, signedInOwner, useBrowser } from "./helpers";

const ONE = "buy some cheese";
const TWO = "feed the cat";
const THREE = "book a doctors appointment";

const items = (page: Page) => page.locator("ul.todo-list > li");
const visible = (page: Page, selector: string) => page.locator(selector).isVisible();
const count = (page: Page) => page.locator("span.todo-count").textContent();
const completedFlags = (page: Page) =>
  items(page).evaluateAll((lis) => lis.map((li) => li.classList.contains("completed")));

eachEngine((engine) => {
  const browser = useBrowser();
  let page: Page;
  beforeEach(async () => {
    ({ page } = await signedInOwner(browser(), engine()));
    return () => page.context().close();
  });

  it("with no goals hides the main section and the footer, and focuses the new-goal field", async () => {
    expect(await visible(page, "section.main")).toBe(false);
    expect(await visible(page, "footer.footer")).toBe(false);
    expect(await page.locator("input.new-todo").evaluate((input) => input === document.activeElement)).toBe(true);
  });

  it("new goal: adds trimmed goals at the bottom, clears the field, ignores empty text", async () => {
    await addGoal(page, ONE);
    await expect.poll(() => labels(page)).toEqual([ONE]);
    expect(await page.locator("input.new-todo").inputValue()).toBe("");
    await addGoal(page, `   ${TWO}  `);
    await expect.poll(() => labels(page)).toEqual([ONE, TWO]);
    await addGoal(page, "   ");
    await addGoal(page, THREE);
    await expect.poll(() => labels(page)).toEqual([ONE, TWO, THREE]);
    expect(await visible(page, "section.main")).toBe(true);
    expect(await visible(page, "footer.footer")).toBe(true);
  });

  it("mark all: completes and reopens every goal, and follows the goals' own state", async () => {
    await addGoals(page, [ONE, TWO, THREE]);
    await page.locator("label[for=toggle-all]").click();
    await expect.poll(() => completedFlags(page)).toEqual([true, true, true]);
    expect(await page.locator("input.toggle-all").isChecked()).toBe(true);
    await page.locator("label[for=toggle-all]").click();
    await expect.poll(() => completedFlags(page)).toEqual([false, false, false]);
    await page.locator("label[for=toggle-all]").click();
    await expect.poll(() => completedFlags(page)).toEqual([true, true, true]);
    await items(page).nth(0).locator("input.toggle").uncheck();
    await expect.poll(() => page.locator("input.toggle-all").isChecked()).toBe(false);
    await items(page).nth(0).locator("input.toggle").check();
    await expect.poll(() => page.locator("input.toggle-all").isChecked()).toBe(true);
  });

  it("item: toggles, edits on double-click hiding the other controls, and is destroyed", async () => {
    await addGoals(page, [ONE, TWO]);
    await items(page).nth(0).locator("input.toggle").check();
    await expect.poll(() => completedFlags(page)).toEqual([true, false]);
    await items(page).nth(1).locator("input.toggle").check();
    await expect.poll(() => completedFlags(page)).toEqual([true, true]);
    await items(page).nth(0).locator("input.toggle").uncheck();
    await expect.poll(() => completedFlags(page)).toEqual([false, true]);

    await items(page).nth(1).locator("label").dblclick();
    expect(await items(page).nth(1).getAttribute("class")).toContain("editing");
    expect(await items(page).nth(1).locator("input.toggle").isVisible()).toBe(false);
    expect(await items(page).nth(1).locator("label").isVisible()).toBe(false);
    await items(page).nth(1).locator("input.edit").fill("buy some sausages");
    await items(page).nth(1).locator("input.edit").press("Enter");
    await expect.poll(() => labels(page)).toEqual([ONE, "buy some sausages"]);

    await items(page).nth(0).hover();
    await items(page).nth(0).locator("button.destroy").click();
    await expect.poll(() => labels(page)).toEqual(["buy some sausages"]);
  });

  it("editing: Enter and blur save trimmed text, empty text deletes, Escape cancels", async () => {
    await addGoals(page, [ONE, TWO, THREE]);
    const edit = async (index: number, text: string, finish: "Enter" | "Escape" | "blur") => {
      await items(page).nth(index).locator("label").dblclick();
      const field = items(page).nth(index).locator("input.edit");
      await field.fill(text);
      if (finish === "blur") await field.evaluate((input: HTMLInputElement) => input.blur());
      else await field.press(finish);
      await expect.poll(() => page.locator("ul.todo-list > li.editing").count()).toBe(0);
    };
    await edit(1, "buy some sausages", "blur");
    await expect.poll(() => labels(page)).toEqual([ONE, "buy some sausages", THREE]);
    await edit(1, "    buy some sausages   ", "Enter");
    await expect.poll(() => labels(page)).toEqual([ONE, "buy some sausages", THREE]);
    await edit(1, "foo", "Escape");
    await expect.poll(() => labels(page)).toEqual([ONE, "buy some sausages", THREE]);
    await edit(1, "   ", "Enter");
    await expect.poll(() => labels(page)).toEqual([ONE, THREE]);
  });

  it("counter: says how many goals are left, in the singular and the plural", async () => {
    await addGoal(page, ONE);
    await expect.poll(() => count(page)).toBe("1 goal left");
    await addGoal(page, TWO);
    await expect.poll(() => count(page)).toBe("2 goals left");
    expect(await page.locator("span.todo-count strong").textContent()).toBe("2");
    await items(page).nth(0).locator("input.toggle").check();
    await expect.poll(() => count(page)).toBe("1 goal left");
  });

  it("clear completed: shown only with completed goals, removes exactly them", async () => {
    await addGoals(page, [ONE, TWO, THREE]);
    expect(await visible(page, "button.clear-completed")).toBe(false);
    await items(page).nth(1).locator("input.toggle").check();
    await expect.poll(() => visible(page, "button.clear-completed")).toBe(true);
    await page.locator("button.clear-completed").click();
    await expect.poll(() => labels(page)).toEqual([ONE, THREE]);
    expect(await visible(page, "button.clear-completed")).toBe(false);
  });

  it("persistence: a reload shows the same goals from the API", async () => {
    await addGoals(page, [ONE, TWO]);
    await items(page).nth(0).locator("input.toggle").check();
    await expect.poll(() => completedFlags(page)).toEqual([true, false]);
    await page.reload();
    await expect.poll(() => labels(page)).toEqual([ONE, TWO]);
    await expect.poll(() => completedFlags(page)).toEqual([true, false]);
  });

  it("routing: filters by #/active and #/completed, marks the current link, walks back", async () => {
    await addGoals(page, [ONE, TWO, THREE]);
    await items(page).nth(1).locator("input.toggle").check();
    await expect.poll(() => completedFlags(page)).toEqual([false, true, false]);
    const selected = () => page.locator("ul.filters a.selected").textContent();
    expect(await selected()).toBe("All");
    await page.getByRole("link", { name: "Active" }).click();
    await expect.poll(() => labels(page)).toEqual([ONE, THREE]);
    expect(await selected()).toBe("Active");
    await page.getByRole("link", { name: "Completed" }).click();
    await expect.poll(() => labels(page)).toEqual([TWO]);
    expect(await selected()).toBe("Completed");
    await page.goBack();
    await expect.poll(() => labels(page)).toEqual([ONE, THREE]);
    await expect.poll(selected).toBe("Active");
    await page.goBack();
    await expect.poll(() => labels(page)).toEqual([ONE, TWO, THREE]);
    await expect.poll(selected).toBe("All");
  });
});
