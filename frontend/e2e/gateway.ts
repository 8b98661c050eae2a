// The local gateway as the browser tests run it: the workspace's debug build of `local`, as a
// process on a free loopback port, on a fresh SQLite file or a fresh PostgreSQL database,
// serving the built site from frontend/dist.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO = resolve(import.meta.dirname, "../..");
export const BINARY = join(process.env.CARGO_TARGET_DIR ?? join(REPO, "target"), "debug", "local");
export const SITE_DIR = join(REPO, "frontend", "dist");
/** The test PostgreSQL server (trust auth), as the Rust tests use it. */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export type EngineName = "sqlite" | "postgres";

/** What a test file needs to reach one engine's gateway. */
export interface Engine {
  name: EngineName;
  base: string;
  databaseUrl: string;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Runs SQL as the test server's superuser (the postgres test database URL's server). */
async function psql(sql: string): Promise<void> {
  await run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", POSTGRES_URL, "-c", sql]);
}

/** Whether the test PostgreSQL server answers. */
export async function postgresAvailable(): Promise<boolean> {
  try {
    await psql("SELECT 1");
    return true;
  } catch {
    return false;
  }
}

/** A fresh database URL for `engine`: a new SQLite file, or a new PostgreSQL database. */
export async function freshDatabase(engine: EngineName): Promise<{ url: string; drop(): Promise<void> }> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "gt-browser-"));
    return { url: `sqlite://${join(dir, "goals.db")}`, drop: async () => {} };
  }
  const name = `gt_browser_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await psql(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A running gateway process. */
export class Gateway {
  private constructor(
    readonly base: string,
    readonly databaseUrl: string,
    readonly port: number,
    private child: ChildProcess,
  ) {}

  /** Starts a gateway on `databaseUrl` (on `port`, or a free one) and waits for `/health`. */
  static async start(databaseUrl: string, port?: number): Promise<Gateway> {
    const chosen = port ?? (await freePort());
    const child = spawn(BINARY, [], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        LOCAL_ADDR: `127.0.0.1:${chosen}`,
        SITE_DIR,
        RUST_LOG: "warn",
        AUTH_CACHE_TTL_SECONDS: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    const base = `http://127.0.0.1:${chosen}`;
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`the gateway exited:\n${output}`);
      try {
        if ((await fetch(`${base}/health`)).ok) return new Gateway(base, databaseUrl, chosen, child);
      } catch {
        // not listening yet
      }
      await new Promise((done) => setTimeout(done, 50));
    }
    child.kill();
    throw new Error(`the gateway did not answer on ${base}:\n${output}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((done) => this.child.once("exit", done));
    this.child.kill("SIGINT");
    await exited;
  }
}

/** Issues a key for a new owner with `local keys create`, as a newcomer would. */
export async function newOwner(databaseUrl: string, prefix = "owner"): Promise<{ owner: string; key: string }> {
  const owner = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const { stdout } = await run(BINARY, ["keys", "create", owner], { env: { ...process.env, DATABASE_URL: databaseUrl } });
  const key = /gt_[A-Za-z0-9_-]{43}/.exec(stdout)?.[0];
  if (!key) throw new Error(`keys create printed no key: ${stdout}`);
  return { owner, key };
}
