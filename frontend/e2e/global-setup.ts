// One gateway per engine for the whole browser suite (each test makes its own owner, so tests
// never see each other's goals), on a fresh database each.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { BINARY, freshDatabase, Gateway, postgresAvailable, SITE_DIR, type Engine } from "./gateway";

declare module "vitest" {
  export interface ProvidedContext {
    engines: Engine[];
    skipped: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(BINARY)) throw new Error(`no gateway binary at ${BINARY}: run cargo build -p local`);
  if (!existsSync(join(SITE_DIR, "index.html"))) throw new Error(`no built site in ${SITE_DIR}: run npm run build`);
  const engines: Engine[] = [];
  const skipped: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  const names: Engine["name"][] = ["sqlite"];
  if (await postgresAvailable()) names.push("postgres");
  else if (process.env.CI === "true") throw new Error("PostgreSQL is not reachable (TEST_DATABASE_URL) and CI=true");
  else skipped.push("postgres");
  for (const name of names) {
    const database = await freshDatabase(name);
    const gateway = await Gateway.start(database.url);
    engines.push({ name, base: gateway.base, databaseUrl: database.url });
    stops.push(async () => {
      await gateway.stop();
      await database.drop();
    });
  }
  project.provide("engines", engines);
  project.provide("skipped", skipped);
  return async () => {
    for (const stop of stops) await stop();
  };
}
