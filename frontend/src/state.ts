// The list as this tab knows it: the server's goals, kept up to date by REST answers, live
// events and sync snapshots arriving in any order, each applied at most once.
// No DOM here, so the unit tests can drive it directly.

/** A goal, as the API returns it. */
export interface Goal {
  id: number;
  name: string;
  completed: boolean;
  created_at: string;
  updated_at: string;
}

/** A WebSocket push: `{"type":"goal.created|goal.updated|goal.deleted","goal":{…}}`. */
export interface GoalEvent {
  type: "goal.created" | "goal.updated" | "goal.deleted";
  goal: Goal;
}

/** One page of `GET /goals` or of a WebSocket `sync` answer. */
export interface Page {
  goals: Goal[];
  next_cursor: string | null;
}

/** The TodoMVC filters, as the `#/`, `#/active` and `#/completed` routes name them. */
export type Filter = "all" | "active" | "completed";

/**
 * A timestamp that compares as text in time order. The API writes RFC 3339 in UTC with a
 * fraction of 0 to 9 digits (microseconds are kept), so the fraction is padded to a fixed width;
 * `Date` would drop everything below the millisecond.
 */
export function stamp(time: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(?:Z|\+00:00)$/.exec(time);
  if (!match) return time;
  return `${match[1]}.${(match[2] ?? "").padEnd(9, "0")}`;
}

/**
 * The goals by id. A version is applied only when it is newer than the one held (`updated_at`),
 * and a deleted id never comes back (the database never reuses ids), so a duplicate, an echo of
 * this tab's own change, or an event overtaken by a later one changes nothing.
 */
export class GoalList {
  private readonly goals = new Map<number, Goal>();
  private readonly deleted = new Set<number>();

  /** Applies a version of a goal; true when the list changed. */
  upsert(goal: Goal): boolean {
    if (this.deleted.has(goal.id)) return false;
    const held = this.goals.get(goal.id);
    if (held && stamp(held.updated_at) >= stamp(goal.updated_at)) return false;
    this.goals.set(goal.id, goal);
    return true;
  }

  /** Forgets a goal for good; true when the list changed. */
  remove(id: number): boolean {
    this.deleted.add(id);
    return this.goals.delete(id);
  }

  /** Applies a live event; true when the list changed. */
  apply(event: GoalEvent): boolean {
    return event.type === "goal.deleted" ? this.remove(event.goal.id) : this.upsert(event.goal);
  }

  /**
   * Takes a complete snapshot (every page of a load or a sync): goals it lacks were deleted
   * while this tab was not listening; the others are applied as any version is. A goal missing
   * from the snapshot is only dropped, not marked deleted, since it may have been created after
   * the snapshot was read, and its event must still apply.
   */
  replace(snapshot: Goal[]): boolean {
    const ids = new Set(snapshot.map((goal) => goal.id));
    let changed = false;
    for (const id of [...this.goals.keys()]) {
      if (!ids.has(id)) changed = this.goals.delete(id) || changed;
    }
    for (const goal of snapshot) changed = this.upsert(goal) || changed;
    return changed;
  }

  get(id: number): Goal | undefined {
    return this.goals.get(id);
  }

  /** Every goal, in the API's order (by id). */
  all(): Goal[] {
    return [...this.goals.values()].sort((a, b) => a.id - b.id);
  }

  /** The goals a filter shows, in order. */
  visible(filter: Filter): Goal[] {
    return this.all().filter((goal) => filter === "all" || goal.completed === (filter === "completed"));
  }

  /** How many goals there are, and how many are still to do. */
  counts(): { total: number; active: number; completed: number } {
    const total = this.goals.size;
    const completed = [...this.goals.values()].filter((goal) => goal.completed).length;
    return { total, active: total - completed, completed };
  }
}

/** Reads every page, following `next_cursor` until it is null. */
export async function collectPages(fetchPage: (cursor: string | null) => Promise<Page>): Promise<Goal[]> {
  const goals: Goal[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await fetchPage(cursor);
    goals.push(...page.goals);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return goals;
}

/** The filter a location hash names; anything else shows all. */
export function filterFromHash(hash: string): Filter {
  if (hash === "#/active") return "active";
  if (hash === "#/completed") return "completed";
  return "all";
}
