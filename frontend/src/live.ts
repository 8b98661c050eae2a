// The live connection: `…/ws?api_key=…`, reopened with exponential backoff whenever it drops,
// and a `sync` sent on every open, so a tab catches up on whatever it missed while away.

import type { Goal, GoalEvent, Page } from "./state";

/** What the `role="status"` element says. */
export type LiveStatus = "connecting" | "live" | "reconnecting";

export interface LiveHandlers {
  event(event: GoalEvent): void;
  /** Every page of a `sync`, once the last one arrived. */
  snapshot(goals: Goal[]): void;
  status(status: LiveStatus): void;
  /** An `{"type":"error"}` frame's message. */
  error(message: string): void;
}

/** The first reconnect waits this long, each next one twice as long, up to the maximum. */
export const BACKOFF_START_MS = 250;
export const BACKOFF_MAX_MS = 10_000;
/** API Gateway closes a WebSocket idle for 10 minutes: a ping well before that keeps it open. */
const PING_EVERY_MS = 5 * 60_000;

/** The wait before reconnect attempt `attempt` (0-based), with jitter so tabs do not reconnect in step. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Any frame the server sends; which fields are present depends on `type`. */
interface Frame {
  type?: string;
  goal?: Goal;
  goals?: Page["goals"];
  next_cursor?: Page["next_cursor"];
  error?: { message?: unknown };
}

export class Live {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private ping: ReturnType<typeof setInterval> | undefined;
  private pages: Goal[] = [];

  constructor(
    private readonly url: string,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.handlers.status("connecting");
    this.open();
  }

  /** Closes the socket for good (sign-out). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    this.socket?.close();
    this.socket = null;
  }

  private open(): void {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.handlers.status("live");
      this.pages = [];
      this.send({ action: "sync" });
      this.ping = setInterval(() => this.send({ action: "ping" }), PING_EVERY_MS);
    });
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", () => {
      clearInterval(this.ping);
      if (this.stopped || this.socket !== socket) return;
      this.handlers.status("reconnecting");
      this.retry = setTimeout(() => this.open(), backoff(this.attempt++));
    });
  }

  private send(message: { action: string; cursor?: string }): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private receive(data: unknown): void {
    let frame: Frame;
    try {
      frame = JSON.parse(String(data));
    } catch {
      return;
    }
    switch (frame.type) {
      case "goal.created":
      case "goal.updated":
      case "goal.deleted":
        if (frame.goal) this.handlers.event({ type: frame.type, goal: frame.goal });
        break;
      case "sync":
        this.pages.push(...(frame.goals ?? []));
        if (typeof frame.next_cursor === "string") {
          this.send({ action: "sync", cursor: frame.next_cursor });
        } else {
          this.handlers.snapshot(this.pages);
          this.pages = [];
        }
        break;
      case "error":
        if (typeof frame.error?.message === "string") this.handlers.error(frame.error.message);
        break;
      default:
        break; // pong, or a type this page does not know yet
    }
  }
}
