import { sql, type RawBuilder, type SqlBool } from "kysely";
import { processName, userKey, words } from "./extract.js";
import { textTerms, type ParsedEventQuery } from "./query.js";
import { dataText, fullText } from "./sql/dialect.js";

// The WHERE conditions of an event query: host, user and process matching, field filters, full text.

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function hostCondition(host: string): RawBuilder<SqlBool> {
  const key = host.toLowerCase();
  // A short name also finds its fully qualified forms: "ws-01" matches "ws-01.corp.local".
  return sql<SqlBool>`(host_key = ${key} OR (host_key >= ${`${key}.`} AND host_key < ${`${key}/`}))`;
}

function userCondition(user: string): RawBuilder<SqlBool> {
  const bare = userKey(user)!;
  if (bare === user.toLowerCase()) return sql<SqlBool>`user_key = ${bare}`;
  // "CORP\\alice" finds "CORP\\alice" and a bare "alice", not "OTHER\\alice".
  return sql<SqlBool>`(user_key = ${bare} AND (lower(user_name) = ${user.toLowerCase()} OR lower(user_name) = ${bare}))`;
}

function processCondition(process: string): RawBuilder<SqlBool> {
  const name = processName(process)!;
  if (/[\\/]/.test(process)) return sql<SqlBool>`(process_name = ${name} AND lower(process) = ${process.toLowerCase()})`;
  if (!name.includes(".")) return sql<SqlBool>`process_name IN (${name}, ${`${name}.exe`})`;
  return sql<SqlBool>`process_name = ${name}`;
}

export function conditions(postgres: boolean, q: Omit<ParsedEventQuery, "limit" | "order" | "cursor" | "fields">): RawBuilder<SqlBool>[] {
  const out: RawBuilder<SqlBool>[] = [];
  if (q.from !== undefined) out.push(sql<SqlBool>`time >= ${q.from}`);
  if (q.to !== undefined) out.push(sql<SqlBool>`time < ${q.to}`);
  if (q.host !== undefined) out.push(hostCondition(q.host));
  if (q.user !== undefined) out.push(userCondition(q.user));
  if (q.process !== undefined) out.push(processCondition(q.process));
  if (q.event_id !== undefined) out.push(sql<SqlBool>`event_id = ${q.event_id}`);
  if (q.channel !== undefined) out.push(sql<SqlBool>`lower(channel) = ${q.channel.toLowerCase()}`);
  for (const filter of q.filters ?? []) {
    const value = dataText(postgres, filter.field);
    const lowered = filter.value.toLowerCase();
    if (filter.op === "exists") {
      out.push(sql<SqlBool>`${value} IS NOT NULL`);
    } else if (filter.op === "contains") {
      out.push(sql<SqlBool>`lower(${value}) LIKE ${`%${escapeLike(lowered)}%`} ESCAPE '\\'`);
    } else {
      const pattern = escapeLike(lowered).replace(/\*/g, "%");
      const match = sql<SqlBool>`lower(${value}) LIKE ${pattern} ESCAPE '\\'`;
      out.push(filter.op === "eq" ? match : sql<SqlBool>`(${value} IS NULL OR NOT (${match}))`);
    }
  }
  if (q.text !== undefined) {
    const terms = textTerms(q.text, words);
    if (terms.length) out.push(fullText(postgres, terms));
  }
  return out;
}

export function all(conds: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  return conds.length ? sql<SqlBool>`(${sql.join(conds, sql` AND `)})` : sql<SqlBool>`1 = 1`;
}
