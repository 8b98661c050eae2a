// The page: sign-in, then the TodoMVC list of the signed-in owner's goals, kept live.
// Only the server's answers change the list (REST answers, live events, sync snapshots, all
// through GoalList), so what is shown is what the server has; names are only ever set as text.

import "./style.css";
import { Api, ApiError } from "./api";
import { loadEndpoints, type Endpoints } from "./config";
import { Live, type LiveStatus } from "./live";
import { collectPages, filterFromHash, GoalList, type Goal } from "./state";

/**
 * Where the key is remembered: localStorage, so a reload and every other tab of the site are
 * signed in too (the live list is meant to be open in several tabs). Sign-out removes it.
 */
const KEY_STORAGE = "goal-tracker.api-key";

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: "Connecting to live updates…",
  live: "Live: changes from your other tabs appear here as they happen",
  reconnecting: "Reconnecting: live updates are paused",
};

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return found;
}

const ui = {
  signIn: element<HTMLFormElement>("form.sign-in"),
  keyInput: element<HTMLInputElement>("#api-key"),
  newTodo: element<HTMLInputElement>("input.new-todo"),
  main: element<HTMLElement>("section.main"),
  toggleAll: element<HTMLInputElement>("input.toggle-all"),
  list: element<HTMLUListElement>("ul.todo-list"),
  footer: element<HTMLElement>("footer.footer"),
  count: element<HTMLElement>("span.todo-count"),
  filters: [...document.querySelectorAll<HTMLAnchorElement>("ul.filters a")],
  clearCompleted: element<HTMLButtonElement>("button.clear-completed"),
  alert: element<HTMLElement>("[role=alert]"),
  status: element<HTMLElement>("[role=status]"),
  signOut: element<HTMLButtonElement>("button.sign-out"),
  info: element<HTMLElement>("footer.info"),
};

/** A signed-in owner: their API client, their list and their live connection. */
interface Session {
  api: Api;
  goals: GoalList;
  live: Live;
  /** The Idempotency-Key of each name whose create has not succeeded yet. */
  pendingCreates: Map<string, string>;
}

/** Read once at load; a sign-in submitted before `config.json` has arrived waits for it. */
const endpointsReady: Promise<Endpoints> = loadEndpoints();
let session: Session | null = null;
/** The `<li>` of each shown goal, reused across renders so an edit in progress survives one. */
const items = new Map<number, HTMLLIElement>();

function showError(message: string): void {
  ui.alert.textContent = message;
}

function clearError(): void {
  ui.alert.textContent = "";
}

/** Runs a change against the API; a refusal is shown, and the list is redrawn from the state. */
async function attempt(current: Session, change: () => Promise<void>): Promise<void> {
  try {
    await change();
  } catch (error) {
    if (session === current) showError(error instanceof Error ? error.message : String(error));
  }
  if (session === current) render();
}

function signedIn(): Session {
  if (!session) throw new Error("not signed in");
  return session;
}

// ---- rendering -------------------------------------------------------------------------

function render(): void {
  const current = session;
  const goals = current?.goals ?? new GoalList();
  const filter = filterFromHash(window.location.hash);
  const { total, active, completed } = goals.counts();
  ui.main.hidden = total === 0;
  ui.footer.hidden = total === 0;
  ui.toggleAll.checked = total > 0 && active === 0;
  ui.clearCompleted.hidden = completed === 0;
  const strong = document.createElement("strong");
  strong.textContent = String(active);
  ui.count.replaceChildren(strong, ` ${active === 1 ? "goal" : "goals"} left`);
  for (const link of ui.filters) {
    link.classList.toggle("selected", filterFromHash(link.hash) === filter);
  }

  const visible = goals.visible(filter);
  const shown = new Set(visible.map((goal) => goal.id));
  for (const [id, li] of items) {
    if (!shown.has(id)) {
      // Focus inside a removed goal (its delete button, say) goes back to the new-goal field.
      if (li.contains(document.activeElement)) ui.newTodo.focus();
      li.remove();
      items.delete(id);
    }
  }
  // Moves only the items out of place, so a focused one (an edit field) keeps its focus.
  let cursor = ui.list.firstElementChild;
  for (const goal of visible) {
    const li = items.get(goal.id) ?? newItem(goal.id);
    updateItem(li, goal);
    if (li === cursor) cursor = cursor.nextElementSibling;
    else ui.list.insertBefore(li, cursor);
  }
}

function newItem(id: number): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.id = String(id);
  const view = document.createElement("div");
  view.className = "view";
  const toggle = document.createElement("input");
  toggle.className = "toggle";
  toggle.type = "checkbox";
  const label = document.createElement("label");
  label.tabIndex = 0;
  const destroy = document.createElement("button");
  destroy.className = "destroy";
  view.append(toggle, label, destroy);
  li.append(view);
  items.set(id, li);
  return li;
}

function updateItem(li: HTMLLIElement, goal: Goal): void {
  li.classList.toggle("completed", goal.completed);
  const toggle = li.querySelector<HTMLInputElement>("input.toggle");
  const label = li.querySelector<HTMLLabelElement>("label");
  const destroy = li.querySelector<HTMLButtonElement>("button.destroy");
  if (!toggle || !label || !destroy) return;
  toggle.checked = goal.completed;
  toggle.setAttribute("aria-label", `Completed: ${goal.name}`);
  label.textContent = goal.name;
  destroy.setAttribute("aria-label", `Delete ${goal.name}`);
}

function goalId(target: EventTarget | null): number | null {
  const li = target instanceof Element ? target.closest<HTMLLIElement>("ul.todo-list > li") : null;
  return li?.dataset.id ? Number(li.dataset.id) : null;
}

// ---- editing -----------------------------------------------------------------------------

function startEditing(id: number): void {
  const current = signedIn();
  const li = items.get(id);
  const goal = current.goals.get(id);
  if (!li || !goal || li.classList.contains("editing")) return;
  li.classList.add("editing");
  const edit = document.createElement("input");
  edit.className = "edit";
  edit.value = goal.name;
  edit.setAttribute("aria-label", `Rename ${goal.name}`);
  li.append(edit);
  edit.focus();
  edit.setSelectionRange(edit.value.length, edit.value.length);
}

/** Leaves edit mode; with `save`, the trimmed text renames the goal, or deletes it when empty. */
function stopEditing(li: HTMLLIElement, save: boolean): void {
  const edit = li.querySelector<HTMLInputElement>("input.edit");
  // Removing the field blurs it, and blur saves: the first of the two to arrive wins.
  if (!edit || edit.dataset.done) return;
  edit.dataset.done = "true";
  const id = Number(li.dataset.id);
  const name = edit.value.trim();
  li.classList.remove("editing");
  edit.remove();
  li.querySelector<HTMLLabelElement>("label")?.focus();
  const current = signedIn();
  const goal = current.goals.get(id);
  if (!save || !goal || name === goal.name) return;
  clearError();
  void attempt(current, async () => {
    if (name === "") {
      await current.api.remove(id);
      current.goals.remove(id);
    } else {
      current.goals.upsert(await current.api.update(id, { name }));
    }
  });
}

// ---- actions -------------------------------------------------------------------------------

/**
 * Enter in the new-goal field. The field is emptied at once, so a second Enter finds nothing to
 * send; a failed name is put back, with the same Idempotency-Key kept for it, so sending it
 * again cannot make a second goal if the first request did reach the server.
 */
function createGoal(): void {
  const current = signedIn();
  const name = ui.newTodo.value.trim();
  if (name === "") return;
  ui.newTodo.value = "";
  clearError();
  const key = current.pendingCreates.get(name) ?? crypto.randomUUID();
  current.pendingCreates.set(name, key);
  void attempt(current, async () => {
    try {
      current.goals.upsert(await current.api.create(name, key));
      current.pendingCreates.delete(name);
    } catch (error) {
      // A refusal is final: the same name sent again is a new request.
      if (error instanceof ApiError && !error.transient) current.pendingCreates.delete(name);
      if (session === current && ui.newTodo.value === "") ui.newTodo.value = name;
      throw error;
    }
  });
}

function setCompleted(ids: number[], completed: boolean): void {
  const current = signedIn();
  clearError();
  void attempt(current, async () => {
    const results = await Promise.allSettled(
      ids.map(async (id) => current.goals.upsert(await current.api.update(id, { completed }))),
    );
    throwFirstRefusal(results);
  });
}

function deleteGoals(ids: number[]): void {
  const current = signedIn();
  clearError();
  void attempt(current, async () => {
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        await current.api.remove(id);
        current.goals.remove(id);
      }),
    );
    throwFirstRefusal(results);
  });
}

function throwFirstRefusal(results: PromiseSettledResult<unknown>[]): void {
  const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
}

// ---- session -------------------------------------------------------------------------------

/** Checks a key by loading the list with it; a refusal is shown and the form stays. */
async function signIn(key: string): Promise<void> {
  const endpoints = await endpointsReady;
  const api = new Api(endpoints.apiUrl, key);
  let snapshot: Goal[];
  try {
    snapshot = await collectPages((cursor) => api.listPage(cursor));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) localStorage.removeItem(KEY_STORAGE);
    showError(error instanceof Error ? error.message : String(error));
    showSignIn();
    return;
  }
  localStorage.setItem(KEY_STORAGE, key);
  clearError();
  const goals = new GoalList();
  goals.replace(snapshot);
  const socketUrl = new URL(endpoints.wsUrl);
  socketUrl.searchParams.set("api_key", key);
  const current: Session = {
    api,
    goals,
    pendingCreates: new Map(),
    live: new Live(socketUrl.href, {
      event: (event) => current.goals.apply(event) && render(),
      snapshot: (all) => current.goals.replace(all) && render(),
      status: (status) => {
        ui.status.textContent = STATUS_TEXT[status];
      },
      error: showError,
    }),
  };
  session = current;
  ui.signIn.hidden = true;
  ui.keyInput.value = "";
  ui.newTodo.hidden = false;
  ui.signOut.hidden = false;
  ui.info.hidden = false;
  render();
  ui.newTodo.focus();
  current.live.start();
}

function showSignIn(): void {
  ui.signIn.hidden = false;
  ui.newTodo.hidden = true;
  ui.signOut.hidden = true;
  ui.info.hidden = true;
  ui.status.textContent = "";
  render();
  ui.keyInput.focus();
}

function signOut(): void {
  session?.live.stop();
  session = null;
  localStorage.removeItem(KEY_STORAGE);
  clearError();
  showSignIn();
}

// ---- wiring --------------------------------------------------------------------------------

ui.signIn.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = ui.keyInput.value.trim();
  if (key !== "") void signIn(key);
});
ui.signOut.addEventListener("click", signOut);
ui.newTodo.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.isComposing) createGoal();
});
ui.toggleAll.addEventListener("change", () => {
  const completed = ui.toggleAll.checked;
  const ids = signedIn()
    .goals.all()
    .filter((goal) => goal.completed !== completed)
    .map((goal) => goal.id);
  setCompleted(ids, completed);
});
ui.clearCompleted.addEventListener("click", () => {
  deleteGoals(signedIn().goals.visible("completed").map((goal) => goal.id));
});
ui.list.addEventListener("change", (event) => {
  const id = goalId(event.target);
  if (id !== null && event.target instanceof HTMLInputElement && event.target.matches("input.toggle")) {
    setCompleted([id], event.target.checked);
  }
});
ui.list.addEventListener("click", (event) => {
  const id = goalId(event.target);
  if (id !== null && event.target instanceof Element && event.target.matches("button.destroy")) deleteGoals([id]);
});
ui.list.addEventListener("dblclick", (event) => {
  const id = goalId(event.target);
  if (id !== null && event.target instanceof Element && event.target.matches("label")) startEditing(id);
});
ui.list.addEventListener("keydown", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  const li = target.closest<HTMLLIElement>("ul.todo-list > li");
  if (!li) return;
  if (target.matches("input.edit")) {
    if (event.key === "Enter") stopEditing(li, true);
    else if (event.key === "Escape") stopEditing(li, false);
  } else if (target.matches("label") && (event.key === "Enter" || event.key === "F2")) {
    event.preventDefault();
    startEditing(Number(li.dataset.id));
  }
});
ui.list.addEventListener("focusout", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.matches("input.edit")) {
    const li = target.closest<HTMLLIElement>("ul.todo-list > li");
    if (li) stopEditing(li, true);
  }
});
window.addEventListener("hashchange", render);

void (async () => {
  const key = localStorage.getItem(KEY_STORAGE);
  if (key) await signIn(key);
  else showSignIn();
})();
