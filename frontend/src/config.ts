// Where the API and the WebSocket are. One build serves every environment: the deploy writes
// `config.json` beside the page from the stack's outputs; where it is absent (the local
// gateway), both are on the page's own origin.

/** The two endpoints the page talks to. */
export interface Endpoints {
  /** The REST API's base URL, without a trailing slash. */
  apiUrl: string;
  /** The WebSocket URL to which `?api_key=…` is added. */
  wsUrl: string;
}

/** The endpoints a `config.json` names, or the page's own origin for any it does not name. */
export function endpointsFrom(config: unknown, origin: URL): Endpoints {
  const field = (name: string): string | undefined => {
    if (typeof config !== "object" || config === null) return undefined;
    const value = (config as Record<string, unknown>)[name];
    return typeof value === "string" && value.trim() !== "" ? value.trim().replace(/\/+$/, "") : undefined;
  };
  const wsScheme = origin.protocol === "https:" ? "wss:" : "ws:";
  return {
    apiUrl: field("apiUrl") ?? origin.origin,
    wsUrl: field("wsUrl") ?? `${wsScheme}//${origin.host}/ws`,
  };
}

/** Fetches `/config.json` (never from the HTTP cache: it changes on every deploy). */
export async function loadEndpoints(): Promise<Endpoints> {
  const origin = new URL(window.location.href);
  let config: unknown = null;
  try {
    const response = await fetch("/config.json", { cache: "no-cache" });
    if (response.ok) config = await response.json();
  } catch {
    // No config.json, or not JSON: the page's own origin serves the API.
  }
  return endpointsFrom(config, origin);
}
