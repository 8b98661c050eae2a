// What the browser tests share: Chromium (Debian's, through playwright-core), a signed-in page
// for a fresh owner, the list as shown, and the API as a second client.

import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { newOwner, type Engine } from "./gateway";

/** Debian's chromium package, installed by scripts/install-test-tools. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Declares the body once per engine; an engine without its server is reported as skipped. */
export function eachEngine(body: (engine: () => Engine) => void): void {
  const engines = inject("engines");
  for (const name of ["sqlite", "postgres"] as const) {
    const engine = engines.find((candidate) => candidate.name === name);
    describe.skipIf(!engine)(name, () => body(() => engine as Engine));
  }
}

/** One Chromium for the file. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("the browser did not start");
    return browser;
  };
}

/** A page of a new browser context (its own storage) at the site, not signed in. */
export async function openSite(browser: Browser, base: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base);
  await page.locator("#api-key").waitFor();
  return page;
}

/** Signs in with `key` through the form, as a person does. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("input.new-todo").waitFor();
}

/** A new context signed in as `key`, with the live connection up. */
export async function openSignedIn(browser: Browser, base: string, key: string): Promise<Page> {
  const page = await openSite(browser, base);
  await signIn(page, key);
  await liveStatus(page, "Live");
  return page;
}

/** A fresh owner and a page signed in as them. */
export async function signedInOwner(browser: Browser, engine: Engine): Promise<{ page: Page; key: string }> {
  const { key } = await newOwner(engine.databaseUrl);
  return { page: await openSignedIn(browser, engine.base, key), key };
}

/** Waits until the role=status element starts with `text`. */
export async function liveStatus(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (expected) => document.querySelector("[role=status]")?.textContent?.startsWith(expected),
    text,
    { timeout: 15_000 },
  );
}

/** The names in the list, in order, as shown. */
export function labels(page: Page): Promise<string[]> {
  return page.locator("ul.todo-list > li label").allTextContents();
}

/** Types a goal into the new-goal field and presses Enter. */
export async function addGoal(page: Page, name: string): Promise<void> {
  await page.locator("input.new-todo").fill(name);
  await page.locator("input.new-todo").press("Enter");
}

/** Adds goals one by one, each waited for. */
export async function addGoals(page: Page, names: string[]): Promise<void> {
  for (const [index, name] of names.entries()) {
    await addGoal(page, name);
    await page.locator("ul.todo-list > li").nth(index).waitFor();
  }
}

/** The API as another client of the same owner. */
export function api(base: string, key: string) {
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    goals: async (): Promise<{ id: number; name: string; completed: boolean }[]> =>
      (await request("GET", "/goals?limit=100")).goals,
    create: (name: string): Promise<{ id: number }> => request("POST", "/goals", { name }),
  };
}
