import { sql, type RawBuilder, type SqlBool } from "kysely";
import type { Executor } from "../store/index.js";
import { all, hostCondition } from "./conditions.js";
import { normaliseGuid, normalisePid, type StoredEvent } from "./extract.js";
import { parseOrThrow, ProcessTreeQuery } from "./query.js";
import { byTimeThenId, COLUMNS, toStored, type EventRow } from "./rows.js";

// The process tree around one process start, linked by guid or by pid.

export interface ProcessNode {
  event: StoredEvent;
  children: ProcessNode[];
}

const MAX_TREE_NODES = 1000;
const MAX_ANCESTORS = 64;

/**
 * The process tree around one process on a host, from its oldest known ancestor. Process-creation events
 * link by guid (Sysmon, ECS entity ids); without guids, by pid: a process's parent is the latest start of
 * that pid on the host at or before it, so a reused pid starts a new process.
 */
export async function processTree(
  ex: Executor,
  at: ProcessTreeQuery,
): Promise<ProcessNode | null> {
  const q = parseOrThrow(ProcessTreeQuery, at, "process-tree query");
  const host = hostCondition(q.host);
  const starts = (...more: RawBuilder<SqlBool>[]) =>
    ex.selectFrom("events").select(COLUMNS).where(all([sql<SqlBool>`process_start = 1`, host, ...more]));

  let target: EventRow | undefined;
  const guid = normaliseGuid(q.process_guid ?? null);
  if (guid !== null) {
    target = await starts(sql<SqlBool>`process_guid = ${guid}`).orderBy("time").orderBy("id").limit(1).executeTakeFirst();
  }
  const pid = normalisePid(q.process_id ?? null);
  if (!target && pid !== null) {
    const before = q.time !== undefined ? [sql<SqlBool>`time <= ${q.time}`] : [];
    target = await starts(sql<SqlBool>`process_id = ${pid}`, ...before).orderBy("time", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
  }
  if (!target) return null;

  const parentOf = async (child: EventRow): Promise<EventRow | undefined> => {
    if (child.parent_process_guid !== null) {
      const byGuid = await starts(sql<SqlBool>`process_guid = ${child.parent_process_guid}`).orderBy("time").orderBy("id").limit(1).executeTakeFirst();
      if (byGuid) return byGuid;
    }
    if (child.parent_process_id === null) return undefined;
    const byPid = await starts(
      sql<SqlBool>`process_id = ${child.parent_process_id}`,
      sql<SqlBool>`(time < ${child.time} OR (time = ${child.time} AND id < ${child.id}))`,
    )
      .orderBy("time", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    // A parent named by guid is not replaced by an unrelated process that happens to share its pid.
    if (byPid && child.parent_process_guid !== null && byPid.process_guid !== null) return undefined;
    return byPid;
  };

  const seen = new Set<string>([target.id]);
  let root = target;
  for (let depth = 0; depth < MAX_ANCESTORS; depth++) {
    const parent = await parentOf(root);
    if (!parent || seen.has(parent.id)) break;
    seen.add(parent.id);
    root = parent;
  }

  const childrenOf = async (node: EventRow): Promise<EventRow[]> => {
    const found = new Map<string, EventRow>();
    if (node.process_guid !== null) {
      for (const row of await starts(sql<SqlBool>`parent_process_guid = ${node.process_guid}`).execute()) found.set(row.id, row);
    }
    if (node.process_id !== null) {
      const next = await starts(
        sql<SqlBool>`process_id = ${node.process_id}`,
        sql<SqlBool>`(time > ${node.time} OR (time = ${node.time} AND id > ${node.id}))`,
      )
        .orderBy("time")
        .orderBy("id")
        .limit(1)
        .executeTakeFirst();
      const window = [sql<SqlBool>`parent_process_id = ${node.process_id}`, sql<SqlBool>`(time > ${node.time} OR (time = ${node.time} AND id > ${node.id}))`];
      if (next) window.push(sql<SqlBool>`(time < ${next.time} OR (time = ${next.time} AND id < ${next.id}))`);
      for (const row of await starts(...window).execute()) {
        // Guid links win: a child naming another parent guid is not adopted by pid.
        if (row.parent_process_guid !== null && node.process_guid !== null) continue;
        if (row.parent_process_guid !== null && (await parentOf(row))?.id !== node.id) continue;
        found.set(row.id, row);
      }
    }
    return [...found.values()].sort(byTimeThenId);
  };

  const placed = new Set<string>([root.id]);
  const tree: ProcessNode = { event: toStored(root), children: [] };
  let level: { row: EventRow; node: ProcessNode }[] = [{ row: root, node: tree }];
  while (level.length && placed.size < MAX_TREE_NODES) {
    const next: typeof level = [];
    for (const { row, node } of level) {
      for (const child of await childrenOf(row)) {
        if (placed.has(child.id) || placed.size >= MAX_TREE_NODES) continue;
        placed.add(child.id);
        const childNode: ProcessNode = { event: toStored(child), children: [] };
        node.children.push(childNode);
        next.push({ row: child, node: childNode });
      }
    }
    level = next;
  }
  return tree;
}
