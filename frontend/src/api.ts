// The REST API, with the key in `Authorization`. Every refusal becomes an ApiError carrying the
// API's own `error.message`, which the page shows as it is.

import type { Goal, Page } from "./state";

/** A refusal (`status` 4xx/5xx, `code` the API's stable code) or an unreachable server (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** Worth retrying with the same request: the server was not reached, or it failed. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

/** Page size of the list: the API's maximum, so a long list takes few requests. */
export const PAGE_SIZE = 100;
/** How often a create is tried when the server cannot be reached or fails. */
export const CREATE_ATTEMPTS = 3;

export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  listPage(cursor: string | null): Promise<Page> {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor !== null) query.set("cursor", cursor);
    return this.request<Page>("GET", `/goals?${query}`);
  }

  /**
   * Creates a goal under an `Idempotency-Key`: the caller passes a fresh one per new goal and
   * the same one again for the same goal, and this retries a failed attempt with it, so the
   * server makes one goal however many requests reach it.
   */
  async create(name: string, idempotencyKey: string): Promise<Goal> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request<Goal>("POST", "/goals", { name }, { "Idempotency-Key": idempotencyKey });
      } catch (error) {
        if (!(error instanceof ApiError && error.transient) || attempt >= CREATE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  update(id: number, change: { name?: string; completed?: boolean }): Promise<Goal> {
    return this.request<Goal>("PATCH", `/goals/${id}`, change);
  }

  async remove(id: number): Promise<void> {
    await this.request<unknown>("DELETE", `/goals/${id}`);
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}`, ...extraHeaders };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, "unreachable", "The server could not be reached; check your connection and try again.");
    }
    if (response.status === 204) return undefined as T;
    const answer: unknown = await response.json().catch(() => null);
    if (!response.ok) throw refusal(response.status, answer);
    return answer as T;
  }
}

/** The API's `{"error":{"code","message"}}`, or a plain description when the body is not that. */
function refusal(status: number, answer: unknown): ApiError {
  const error = (answer as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.message === "string") {
    return new ApiError(status, typeof error.code === "string" ? error.code : "unknown", error.message);
  }
  return new ApiError(status, "unknown", `The server answered ${status}.`);
}
