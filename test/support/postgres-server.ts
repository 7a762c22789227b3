import type { TestProject } from "vitest/node";
import { startTemporaryPostgres, type TemporaryPostgres } from "./temporary-postgres.js";

/** Global setup of the postgres test project: NIGHTSHIFT_TEST_DATABASE_URL, or a private server. */
export default async function setup(project: TestProject) {
  let server: TemporaryPostgres | undefined;
  let url = process.env.NIGHTSHIFT_TEST_DATABASE_URL;
  if (!url) {
    server = await startTemporaryPostgres();
    url = server.url;
  }
  project.provide("postgresUrl", url);
  return async () => {
    await server?.stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}
