// config.json: both URLs from it, or the page's own origin.
import { describe, expect, it } from "vitest";
import { endpointsFrom } from "./config";

describe("endpointsFrom", () => {
  it("uses the page's origin when config.json is absent or names nothing", () => {
    for (const config of [null, {}, { apiUrl: "" }, "text", { apiUrl: 3 }]) {
      expect(endpointsFrom(config, new URL("http://127.0.0.1:3000/#/active"))).toEqual({
        apiUrl: "http://127.0.0.1:3000",
        wsUrl: "ws://127.0.0.1:3000/ws",
      });
    }
    expect(endpointsFrom(null, new URL("https://goals.example/")).wsUrl).toBe("wss://goals.example/ws");
  });

  it("takes both URLs from config.json, without a trailing slash", () => {
    const config = { apiUrl: "https://api.example/", wsUrl: "wss://ws.example/prod" };
    expect(endpointsFrom(config, new URL("https://goals.example/"))).toEqual({
      apiUrl: "https://api.example",
      wsUrl: "wss://ws.example/prod",
    });
  });
});
