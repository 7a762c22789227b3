import { GENERIC_PRODUCT, applyFieldMap, conditionTest, loadLogsourceMappings, ruleTarget, type Conditions } from "./logsource/index.js";
import type { LogsourceMappings } from "./logsource/index.js";
import { loadRuleDirectory, type CompiledRule } from "./sigma/index.js";

export interface DetectionAlert {
  time: string; // event time (ISO) when known, else now
  rule: { id: string; title: string; level: string; author: string; tags: string[] };
  attack: { tactics: string[]; techniques: string[] };
  source: { file: string; record: number };
  event: Record<string, unknown>;
}

export interface DetectorOptions {
  ruleDirs: string[];
  placeholders?: Record<string, string[]>;
  logsourceFiles?: string[];
}

export interface Detector {
  rulesLoaded: number;
  rulesSkipped: { file: string; reason: string }[];
  /** Rules whose logsource fits the event and whose detection matches it. */
  match(event: Record<string, unknown>): CompiledRule[];
}

type Event = Record<string, unknown>;

/** Rules sharing one event source (same conditions and field renames). */
interface SourceGroup {
  /** Conditions not already guaranteed by the index key. */
  residual: (event: Event) => boolean;
  fields: Record<string, string>;
  rules: CompiledRule[];
}

function lower(value: unknown): string | undefined {
  if (typeof value === "string") return value.toLowerCase();
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return undefined;
}

const isSpecific = (values: string[] | undefined): values is string[] =>
  values !== undefined && !(values.length === 1 && values[0] === "*");

/**
 * The rule index. An event is tested only against:
 * - groups keyed by its Channel + EventID, or by its Channel alone (sources whose conditions name both / one);
 * - groups without a specific Channel (tested one by one on their conditions, e.g. web access logs);
 * - rules whose product is mapped but which have neither category nor service, when the event belongs to
 *   that product (`identify` in the mapping);
 * - rules of unmapped products (and product-less rules of unmapped categories), only when no mapped product
 *   claims the event.
 * Rules of a mapped product whose category or service has no mapping never run: they are listed as skipped
 * (running them on every event of the product would fire, e.g., `file_access` rules on Sysmon file events).
 */
class RuleIndex {
  private readonly keyed = new Map<string, SourceGroup[]>();
  private readonly loose: { test: (event: Event) => boolean; group: SourceGroup }[] = [];
  private readonly groups = new Map<string, SourceGroup>();
  private readonly productRules = new Map<string, CompiledRule[]>();
  private readonly unmapped: CompiledRule[] = [];
  private readonly identify: { product: string; test: (event: Event) => boolean }[] = [];

  constructor(private readonly mappings: LogsourceMappings) {
    // Specific claims (a named channel) before catch-alls (any Channel), so Sysmon for Linux is not Windows.
    const claims: { product: string; conditions: Conditions; specific: boolean }[] = [];
    for (const [product, mapping] of Object.entries(mappings.products)) {
      for (const conditions of mapping.identify) {
        claims.push({ product, conditions, specific: Object.values(conditions).some(isSpecific) });
      }
    }
    claims.sort((a, b) => Number(b.specific) - Number(a.specific));
    for (const claim of claims) this.identify.push({ product: claim.product, test: conditionTest(claim.conditions) });
  }

  /** Adds a rule; returns the reason when it cannot run on any event. */
  add(rule: CompiledRule): string | undefined {
    const logsource = rule.rule.logsource;
    const target = ruleTarget(this.mappings, logsource);
    if (target.kind === "unmapped") {
      this.unmapped.push(rule);
      return undefined;
    }
    if (target.kind === "product") {
      if (logsource.category !== undefined || logsource.service !== undefined) {
        if (target.product === GENERIC_PRODUCT) {
          this.unmapped.push(rule);
          return undefined;
        }
        const what = [logsource.category && `category ${logsource.category}`, logsource.service && `service ${logsource.service}`]
          .filter(Boolean)
          .join(", ");
        return `no logsource mapping for product ${target.product}, ${what} (add one with a logsource file)`;
      }
      const list = this.productRules.get(target.product) ?? [];
      list.push(rule);
      this.productRules.set(target.product, list);
      return undefined;
    }
    for (const source of target.sources) this.groupFor(source.conditions, source.fields).rules.push(rule);
    return undefined;
  }

  private groupFor(conditions: Conditions, fields: Record<string, string>): SourceGroup {
    const signature = JSON.stringify([Object.entries(conditions).sort(), Object.entries(fields).sort()]);
    const existing = this.groups.get(signature);
    if (existing) return existing;
    const { Channel: channels, EventID: eventIds, ...rest } = conditions;
    const group: SourceGroup = { residual: () => true, fields, rules: [] };
    this.groups.set(signature, group);
    if (!isSpecific(channels)) {
      this.loose.push({ test: conditionTest(conditions), group });
      return group;
    }
    const keyedOnIds = isSpecific(eventIds);
    const residual: Conditions = { ...rest };
    if (!keyedOnIds && eventIds) residual["EventID"] = eventIds;
    if (Object.keys(residual).length > 0) group.residual = conditionTest(residual);
    for (const channel of channels) {
      const keys = keyedOnIds ? eventIds.map((id) => `${channel.toLowerCase()}\0${id.toLowerCase()}`) : [channel.toLowerCase()];
      for (const key of keys) {
        const list = this.keyed.get(key) ?? [];
        list.push(group);
        this.keyed.set(key, list);
      }
    }
    return group;
  }

  productOf(event: Event): string | undefined {
    for (const claim of this.identify) if (claim.test(event)) return claim.product;
    return undefined;
  }

  match(event: Event): CompiledRule[] {
    const channel = lower(event["Channel"]);
    const groups: SourceGroup[] = [];
    if (channel !== undefined) {
      const eventId = lower(event["EventID"]);
      if (eventId !== undefined) {
        for (const group of this.keyed.get(`${channel}\0${eventId}`) ?? []) if (group.residual(event)) groups.push(group);
      }
      for (const group of this.keyed.get(channel) ?? []) if (group.residual(event)) groups.push(group);
    }
    for (const { test, group } of this.loose) if (test(event)) groups.push(group);

    const product = this.productOf(event);
    const fallback = product === undefined ? this.unmapped : (this.productRules.get(product) ?? []);

    const hits: CompiledRule[] = [];
    for (const group of groups) {
      const mapped = applyFieldMap(event, group.fields);
      for (const rule of group.rules) if (rule.match(mapped)) hits.push(rule);
    }
    for (const rule of fallback) if (rule.match(event)) hits.push(rule);
    // A rule reached through two sources (e.g. Sysmon 1 and Security 4688 share no event) is rare; dedupe anyway.
    return groups.length > 1 ? [...new Set(hits)] : hits;
  }
}

export async function createDetector(options: DetectorOptions): Promise<Detector> {
  const mappings = await loadLogsourceMappings(options.logsourceFiles ?? []);
  const index = new RuleIndex(mappings);
  const rulesSkipped: { file: string; reason: string }[] = [];
  let rulesLoaded = 0;
  for (const dir of options.ruleDirs) {
    const { loaded, skipped } = await loadRuleDirectory(dir, options.placeholders ? { placeholders: options.placeholders } : {});
    rulesSkipped.push(...skipped);
    for (const rule of loaded) {
      const reason = index.add(rule);
      if (reason === undefined) rulesLoaded++;
      else rulesSkipped.push({ file: rule.file ?? rule.rule.title, reason });
    }
  }
  return { rulesLoaded, rulesSkipped, match: (event) => index.match(event) };
}

// ---------------------------------------------------------------------------------------------------------
// Event normalisation

function isObject(value: unknown): value is Event {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a.b.c` from nested objects or from a flat dotted key (Winlogbeat JSON comes both ways). */
function pathValue(event: Event, path: string): unknown {
  if (Object.hasOwn(event, path)) return event[path];
  let current: unknown = event;
  for (const part of path.split(".")) {
    if (!isObject(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function firstOf(event: Event, paths: string[]): unknown {
  for (const path of paths) {
    const value = pathValue(event, path);
    if (value !== undefined && value !== null && value !== "") return value;
  }
  return undefined;
}

function eventIdOf(value: unknown): unknown {
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return value;
}

/** Renames to the flat EVTX naming (target ← first present source). */
const FLAT_ALIASES: [string, string[]][] = [
  ["EventID", ["winlog.event_id", "event.code", "event_id", "EventId"]],
  ["Channel", ["winlog.channel", "log_name", "channel"]],
  ["Provider_Name", ["winlog.provider_name", "SourceName", "provider_name", "source_name", "ProviderName"]],
  ["Computer", ["winlog.computer_name", "host.name", "Hostname", "host_name", "computer_name"]],
  ["EventRecordID", ["winlog.record_id", "RecordNumber", "record_number"]],
];

/** `{Event: {System, EventData}}` documents (SigmaHQ's JSON twins of EVTX files). */
function flattenEventDocument(document: Event): Event {
  const event = isObject(document["Event"]) ? document["Event"] : {};
  const flat: Event = {};
  const system = isObject(event["System"]) ? event["System"] : {};
  for (const [key, value] of Object.entries(system)) {
    if (isObject(value)) {
      const attributes = isObject(value["#attributes"]) ? value["#attributes"] : {};
      for (const [name, attribute] of Object.entries(attributes)) flat[`${key}_${name}`] = attribute;
      if (value["#text"] !== undefined) flat[key] = value["#text"];
    } else {
      flat[key] = value;
    }
  }
  const data = isObject(event["EventData"])
    ? event["EventData"]
    : isObject(event["UserData"])
      ? (Object.values(event["UserData"]).find(isObject) ?? {})
      : {};
  for (const [key, value] of Object.entries(data)) {
    if (key === "#attributes") continue;
    flat[key] = isObject(value) && value["#text"] !== undefined ? value["#text"] : value;
  }
  return flat;
}

/**
 * Winlogbeat/ECS (`winlog.event_data.X`, `winlog.channel`, `winlog.event_id` / `event.code`, `host.name`,
 * `winlog.provider_name`), NXLog/HELK flat JSON (`EventID`, `Channel`, `SourceName`, `Hostname`) and
 * `{Event: {System, EventData}}` documents → the flat EVTX naming the rules use. Keys already in that naming
 * win; other keys are kept. Returns a new object (or the input itself when nothing needs renaming).
 */
export function normaliseEvent(event: Record<string, unknown>): Record<string, unknown> {
  if (isObject(event["Event"]) && isObject(event["Event"]["System"])) return flattenEventDocument(event);
  const eventData = firstOf(event, ["winlog.event_data", "event_data"]);
  const userData = firstOf(event, ["winlog.user_data", "user_data"]);
  const renames: Event = {};
  for (const source of [userData, eventData]) {
    if (!isObject(source)) continue;
    for (const [key, value] of Object.entries(source)) if (event[key] === undefined) renames[key] = value;
  }
  for (const [target, sources] of FLAT_ALIASES) {
    if (event[target] !== undefined) continue;
    const value = firstOf(event, sources);
    if (value !== undefined) renames[target] = target === "EventID" ? eventIdOf(value) : value;
  }
  const eventId = event["EventID"];
  if (typeof eventId === "string" && /^\d+$/.test(eventId.trim())) renames["EventID"] = Number(eventId.trim());
  if (Object.keys(renames).length === 0) return event;
  return { ...event, ...renames };
}

const TIME_FIELDS = ["TimeCreated_SystemTime", "@timestamp", "timestamp", "EventTime", "EventReceivedTime", "UtcTime", "time"];

/** The event's own time as ISO-8601 UTC, or null when it carries none that parses. */
export function eventTime(event: Record<string, unknown>): string | null {
  for (const field of TIME_FIELDS) {
    const value = pathValue(event, field);
    const iso = toIso(value);
    if (iso) return iso;
  }
  return null;
}

function toIso(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === "number" && Number.isFinite(value)) {
    return new Date(value < 1e12 ? value * 1000 : value).toISOString();
  }
  if (typeof value !== "string" || value.trim() === "") return null;
  let text = value.trim();
  // Sysmon's UtcTime and NXLog's EventTime: "2024-01-02 03:04:05.123" (UTC for Sysmon; taken as UTC).
  const plain = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(text);
  if (plain) text = `${plain[1]}T${plain[2]}${(plain[3] ?? "").slice(0, 4)}Z`;
  // Trim sub-millisecond digits (EVTX gives microseconds), which Date parses inconsistently.
  text = text.replace(/(\.\d{3})\d+/, "$1");
  const parsed = new Date(text);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

export function toAlert(
  rule: CompiledRule,
  event: Record<string, unknown>,
  source: { file: string; record: number },
  now: Date,
): DetectionAlert {
  const { rule: sigma } = rule;
  return {
    time: eventTime(event) ?? now.toISOString(),
    rule: {
      id: sigma.id ?? rule.file ?? sigma.title,
      title: sigma.title,
      level: sigma.level ?? "medium",
      author: sigma.author ?? "",
      tags: [...sigma.tags],
    },
    attack: { tactics: [...rule.attack.tactics], techniques: [...rule.attack.techniques] },
    source: { file: source.file, record: source.record },
    event,
  };
}
