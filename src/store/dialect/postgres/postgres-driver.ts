import pg from "pg";
import { PostgresDialect } from "kysely";

/** PostgreSQL for teams that outgrow the embedded file: same tables, same migrations. */
export function createPostgresDialect(url: string): PostgresDialect {
  return new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10 }) });
}
