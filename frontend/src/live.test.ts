// The reconnect delays: growing, capped, jittered.
import { describe, expect, it } from "vitest";
import { backoff, BACKOFF_MAX_MS, BACKOFF_START_MS } from "./live";

describe("backoff", () => {
  it("doubles from the start delay up to the maximum, between half and all of it", () => {
    const low = () => 0;
    const high = () => 1;
    expect([0, 1, 2, 3].map((attempt) => backoff(attempt, high))).toEqual([250, 500, 1000, 2000]);
    expect(backoff(0, low)).toBe(BACKOFF_START_MS / 2);
    expect(backoff(10, high)).toBe(BACKOFF_MAX_MS);
    expect(backoff(50, low)).toBe(BACKOFF_MAX_MS / 2);
  });
});
