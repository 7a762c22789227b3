import { Alert, Enrichment, caseIdForTier } from "../../core/index.js";
import { hostKey, userKey } from "../../context/index.js";
import { fromJson, type Executor } from "../../store/index.js";
import { ToolError, type ToolContext } from "./tool.js";

/** `VERA-20261124-0007` names the same case as `TORA-20261124-0007`: cases are stored under the TORA id. */
export function canonicalCaseId(id: string): string {
  const trimmed = id.trim();
  return /^(TORA|VERA|ARIA|NOVA)-\d{8}-\d{4,}$/i.test(trimmed) ? caseIdForTier(trimmed.toUpperCase(), "TORA") : trimmed;
}

/**
 * A state-changing call on a crew run touches only the run's own case. Checked in code on every write
 * tool and again when effects are applied: no text in an alert can redirect a write to another case.
 */
export function requireOwnCase(ctx: Pick<ToolContext, "caseId">, caseId: string): string {
  const id = canonicalCaseId(caseId);
  if (ctx.caseId !== null && id !== canonicalCaseId(ctx.caseId)) {
    throw new ToolError("out_of_scope", `this run works case ${ctx.caseId}; it may not change case ${caseId}`);
  }
  return id;
}

export const ENTITY_KINDS = ["host", "user", "ip", "domain", "hash", "url", "email", "file"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** What a case is about: every host, user, address, domain, hash, URL, e-mail address and file its alerts name. */
export interface CaseEntities {
  case_id: string;
  entities: Record<EntityKind, string[]>;
  /** Lower-case values of every kind, for scope checks. */
  keys: Set<string>;
  /** Users as their bare name (`CORP\\jdoe`, `jdoe@corp` → `jdoe`), hosts also by their short name. */
  userKeys: Set<string>;
  hostKeys: Set<string>;
}

function lowerKey(value: string): string {
  return value.trim().toLowerCase().replace(/[./]$/, "");
}

/** The entities of a case: its observables, and what its alerts and their enrichments name. */
export async function caseEntities(ex: Executor, caseId: string): Promise<CaseEntities | null> {
  const id = canonicalCaseId(caseId);
  const row = await ex.selectFrom("cases").select("id").where("id", "=", id).executeTakeFirst();
  if (!row) return null;
  const entities: Record<EntityKind, string[]> = { host: [], user: [], ip: [], domain: [], hash: [], url: [], email: [], file: [] };
  const add = (kind: EntityKind, value: string | null | undefined) => {
    const v = value?.trim();
    if (v && !entities[kind].some((e) => e.toLowerCase() === v.toLowerCase())) entities[kind].push(v);
  };
  const observableKind: Record<string, EntityKind | undefined> = {
    host: "host",
    user: "user",
    ip: "ip",
    domain: "domain",
    file_hash: "hash",
    url: "url",
    email: "email",
    process: "file",
  };
  for (const o of await ex.selectFrom("observables").select(["type", "value"]).where("case_id", "=", id).execute()) {
    const kind = observableKind[o.type];
    if (kind) add(kind, o.value);
  }
  const alerts = await ex.selectFrom("alerts").select(["doc", "enrichment"]).where("case_id", "=", id).execute();
  for (const row of alerts) {
    const alert = Alert.safeParse(fromJson(row.doc, null));
    if (alert.success) {
      const a = alert.data;
      add("host", a.host?.name);
      for (const ip of a.host?.ip ?? []) add("ip", ip);
      if (a.user) add("user", a.user.domain ? `${a.user.domain}\\${a.user.name}` : a.user.name);
      add("user", a.user?.name);
      add("ip", a.src?.ip);
      add("host", a.src?.hostname);
      add("ip", a.dst?.ip);
      add("host", a.dst?.hostname);
      add("domain", a.dst?.domain);
      add("url", a.dst?.url);
      add("hash", a.process?.sha256);
      add("file", a.process?.name);
      add("email", a.email?.sender);
      for (const r of a.email?.recipients ?? []) add("email", r);
      for (const link of a.email?.links ?? []) add("url", link);
      for (const file of a.email?.attachments ?? []) add("file", file);
      for (const o of a.observables) {
        const kind = observableKind[o.type];
        if (kind) add(kind, o.value);
      }
    }
    const enrichment = Enrichment.safeParse(fromJson(row.enrichment, null));
    if (enrichment.success) {
      const e = enrichment.data;
      add("ip", e.network.src_ip);
      add("host", e.network.src_hostname);
      add("ip", e.network.dst_ip);
      add("host", e.network.dst_hostname);
      add("domain", e.network.dst_domain);
      add("host", e.asset?.hostname);
      for (const ip of e.asset?.ips ?? []) add("ip", ip);
      add("user", e.identity?.username);
      add("email", e.identity?.email);
      for (const m of e.threat_intel.matches) {
        const kind: EntityKind = m.type === "file_hash" ? "hash" : m.type;
        add(kind, m.matched_value);
        add(kind, m.indicator);
      }
    }
  }
  const keys = new Set<string>();
  for (const kind of ENTITY_KINDS) for (const value of entities[kind]) keys.add(lowerKey(value));
  const userKeys = new Set(entities.user.map(userKey));
  const hostKeys = new Set(entities.host.flatMap((h) => [hostKey(h), hostKey(h).split(".")[0]!]));
  return { case_id: id, entities, keys, userKeys, hostKeys };
}

/** Whether `target` is one of the case's entities (case-insensitive; a user in any of its forms). */
export function isCaseEntity(entities: CaseEntities, target: string): boolean {
  const key = lowerKey(target);
  if (!key) return false;
  return entities.keys.has(key) || entities.userKeys.has(userKey(target)) || entities.hostKeys.has(hostKey(target));
}
