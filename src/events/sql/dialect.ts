import { sql, type RawBuilder, type SqlBool } from "kysely";
import type { TextTerm } from "../query.js";

/** The events' SQL that differs between SQLite and PostgreSQL (which one: store's `isPostgres`); everything else is shared Kysely. */
export { isPostgres } from "../../store/index.js";

/**
 * A data key's value as text (booleans "true"/"false" on both), the flat key first, then the nested path.
 * The key travels as a bound parameter (a JSON path on SQLite, a key / text[] path on PostgreSQL).
 */
export function dataText(postgres: boolean, field: string): RawBuilder<string | null> {
  const parts = field.split(".");
  if (postgres) {
    return parts.length > 1
      ? sql<string | null>`coalesce(data::jsonb ->> ${field}::text, data::jsonb #>> ${parts}::text[])`
      : sql<string | null>`(data::jsonb ->> ${field}::text)`;
  }
  const quote = (p: string) => `"${p}"`;
  const flat = `$.${quote(field)}`;
  const sqliteValue = (path: string) =>
    sql`CASE json_type(data, ${path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE json_extract(data, ${path}) END`;
  if (parts.length === 1) return sql<string | null>`(${sqliteValue(flat)})`;
  const nested = `$.${parts.map(quote).join(".")}`;
  return sql<string | null>`coalesce(${sqliteValue(flat)}, ${sqliteValue(nested)})`;
}

/** Every term must appear; words are letters and digits only, so no user text reaches the FTS grammar. */
export function fullText(postgres: boolean, terms: TextTerm[]): RawBuilder<SqlBool> {
  if (postgres) {
    const query = terms.map((t) => t.words.map((w, i) => (t.prefix && i === t.words.length - 1 ? `${w}:*` : w)).join(" <-> ")).join(" & ");
    return sql<SqlBool>`to_tsvector('simple', body) @@ to_tsquery('simple', ${query})`;
  }
  const query = terms.map((t) => `"${t.words.join(" ")}"${t.prefix ? " *" : ""}`).join(" ");
  return sql<SqlBool>`seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ${query})`;
}
