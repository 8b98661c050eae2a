// The list state: events in any order, duplicates, echoes of this tab's own changes, snapshots
// and paging.
import { describe, expect, it } from "vitest";
import { collectPages, filterFromHash, GoalList, stamp, type Goal, type GoalEvent, type Page } from "./state";

const created = "2026-01-01T00:00:00Z";
function goal(id: number, name: string, updated_at: string, completed = false): Goal {
  return { id, name, completed, created_at: created, updated_at };
}
const event = (type: GoalEvent["type"], g: Goal): GoalEvent => ({ type, goal: g });
const names = (list: GoalList) => list.all().map((g) => `${g.id}:${g.name}:${g.completed}`);

describe("stamp", () => {
  it("orders fractions of any length, below the millisecond too", () => {
    expect(stamp("2026-01-01T00:00:01Z") > stamp("2026-01-01T00:00:00.999999Z")).toBe(true);
    expect(stamp("2026-01-01T00:00:00.5Z") > stamp("2026-01-01T00:00:00.499999Z")).toBe(true);
    expect(stamp("2026-01-01T00:00:00.000002Z") > stamp("2026-01-01T00:00:00.000001Z")).toBe(true);
    expect(stamp("2026-01-01T00:00:00.100Z")).toBe(stamp("2026-01-01T00:00:00.1Z"));
  });
});

describe("GoalList", () => {
  const v1 = goal(1, "Run", "2026-01-01T00:00:00.000001Z");
  const v2 = goal(1, "Run a marathon", "2026-01-01T00:00:00.000002Z");
  const v3 = goal(1, "Run a marathon", "2026-01-01T00:00:00.000003Z", true);

  it("ends in the same state whatever order the events of a goal arrive in", () => {
    const events = [event("goal.created", v1), event("goal.updated", v2), event("goal.updated", v3)];
    const orders = [
      [0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0],
    ];
    for (const order of orders) {
      const list = new GoalList();
      for (const i of order) list.apply(events[i]!);
      expect(names(list), String(order)).toEqual(["1:Run a marathon:true"]);
    }
  });

  it("applies a duplicate, or the echo of a REST answer already applied, as no change", () => {
    const list = new GoalList();
    expect(list.upsert(v2)).toBe(true);
    expect(list.apply(event("goal.updated", v2))).toBe(false);
    expect(list.apply(event("goal.created", v1))).toBe(false);
    expect(names(list)).toEqual(["1:Run a marathon:false"]);
  });

  it("never brings a deleted goal back, whichever comes first", () => {
    const list = new GoalList();
    list.apply(event("goal.deleted", v2));
    expect(list.apply(event("goal.created", v1))).toBe(false);
    expect(list.apply(event("goal.updated", v3))).toBe(false);
    expect(list.all()).toEqual([]);
    expect(list.apply(event("goal.deleted", v2))).toBe(false);
  });

  it("takes a snapshot: drops what it lacks, keeps the newer of two versions", () => {
    const list = new GoalList();
    list.upsert(v3);
    list.upsert(goal(2, "Swim", created));
    expect(list.replace([v2, goal(3, "Read", created)])).toBe(true);
    expect(names(list)).toEqual(["1:Run a marathon:true", "3:Read:false"]);
    // A goal dropped by a snapshot read before its creation still arrives by its event.
    expect(list.apply(event("goal.created", goal(2, "Swim", created)))).toBe(true);
    expect(list.replace(list.all())).toBe(false);
  });

  it("filters and counts", () => {
    const list = new GoalList();
    list.replace([goal(2, "b", created, true), goal(1, "a", created), goal(3, "c", created)]);
    expect(list.visible("all").map((g) => g.id)).toEqual([1, 2, 3]);
    expect(list.visible("active").map((g) => g.id)).toEqual([1, 3]);
    expect(list.visible("completed").map((g) => g.id)).toEqual([2]);
    expect(list.counts()).toEqual({ total: 3, active: 2, completed: 1 });
    expect([filterFromHash("#/active"), filterFromHash("#/completed"), filterFromHash("#/"), filterFromHash("")]).toEqual([
      "active", "completed", "all", "all",
    ]);
  });
});

describe("collectPages", () => {
  it("follows next_cursor to the last page", async () => {
    const pages: Record<string, Page> = {
      start: { goals: [goal(1, "a", created), goal(2, "b", created)], next_cursor: "c1" },
      c1: { goals: [goal(3, "c", created)], next_cursor: "c2" },
      c2: { goals: [], next_cursor: null },
    };
    const asked: (string | null)[] = [];
    const goals = await collectPages(async (cursor) => {
      asked.push(cursor);
      return pages[cursor ?? "start"]!;
    });
    expect(asked).toEqual([null, "c1", "c2"]);
    expect(goals.map((g) => g.id)).toEqual([1, 2, 3]);
  });

  it("fails as the failing page does", async () => {
    await expect(
      collectPages(async (cursor) => {
        if (cursor) throw new Error("refused");
        return { goals: [], next_cursor: "next" };
      }),
    ).rejects.toThrow("refused");
  });
});
