import { tacticIds } from "../core/attack.js";
import { GENERIC_PRODUCT, applyFieldMap, conditionTest, loadLogsourceMappings, ruleTarget, type Conditions } from "./logsource/index.js";
import type { LogsourceMappings, RuleLogsource } from "./logsource/index.js";
import { filterFitsLogsource, loadSigmaDirectory, type CompiledFilter, type CompiledRule, type LoadedCorrelation } from "./sigma/index.js";
import { createCorrelationEngine, type CorrelationFiring, type CorrelationLimits, type EventSource } from "./correlate.js";
import { detectionRequirement, type Requirement } from "./sigma/compile.js";
import { RulePrefilter } from "./sigma/prefilter.js";
import { eventTime } from "./time.js";

export type { EventSource } from "./correlate.js";
export { eventTime, TIME_FIELDS } from "./time.js";

/** One `nightshift detect` output line. */
export interface DetectionAlert {
  time: string; // event time (ISO) when known, else now
  rule: { id: string; title: string; level: string; author: string; tags: string[] };
  /** `tactics` as the rule's tags say them (`defense-evasion`); `tactic_ids` the ATT&CK ids of those (core/attack.ts). */
  attack: { tactics: string[]; tactic_ids?: string[]; techniques: string[] };
  source: EventSource;
  event: Record<string, unknown>;
  /** Correlation alerts only: what was counted, for which group, over which window. */
  correlation?: { type: string; group: Record<string, unknown>; value: number; timespan: string; rules: string[] };
  /** Correlation alerts only: the events that made it (capped). */
  events?: { time: string; rule: { id: string; title: string }; source: EventSource }[];
}

export interface DetectorOptions {
  ruleDirs: string[];
  placeholders?: Record<string, string[]>;
  logsourceFiles?: string[];
  /** Memory bounds and allowed lateness of correlation windows (defaults: DEFAULT_CORRELATION_LIMITS). */
  correlationLimits?: Partial<CorrelationLimits>;
  /**
   * The whole input is known (`nightshift detect`): a correlation alert is returned once, by `flush()`, with
   * its window's total. Otherwise (the live path) it is returned when its condition first holds, and
   * `revisions()` reports its later totals.
   */
  batch?: boolean;
}

export interface Detector {
  /** Documents loaded and runnable: base rules, correlation rules and filter documents. */
  rulesLoaded: number;
  rulesSkipped: { file: string; reason: string }[];
  /**
   * Loaded rules no logsource mapping routes events to (a product, or a product-less category, with no
   * mapping): they run only on events no mapped product claims. `logsource` is `product/service/category`.
   */
  rulesUnreachable: { file: string; reason: string; logsource: string }[];
  /** Events `process` saw without a time of their own (TIME_FIELDS): their alerts carry `now`, correlation skips them. */
  readonly untimed: number;
  /** Rules whose logsource fits the event and whose detection matches it (filters applied). */
  match(event: Record<string, unknown>): CompiledRule[];
  /**
   * Full detection on one NORMALISED event: alerts of matching rules that generate, then alerts of the
   * correlations it completes. `now` stands in for the event time when the event carries none.
   */
  process(event: Record<string, unknown>, source: EventSource, now?: Date): DetectionAlert[];
  /** Open correlation windows as plain JSON (bounded), to persist between batches. */
  saveState(): unknown;
  /** Restores `saveState()` output; throws ValidationError on bad input (and keeps the current state). */
  restoreState(state: unknown): void;
  /**
   * End of input: judges the windows still open for correlations with an upper bound (lt, lte, eq, neq),
   * which otherwise wait for a later event time. Call it at the end of a file, not between batches.
   */
  flush(): DetectionAlert[];
  /**
   * Live path: correlation alerts already returned whose window has counted more events since the last call,
   * each with its window's total now and the same `source_id` (`detectionToAlertInput`): revise, never add.
   */
  revisions(): DetectionAlert[];
}

type Event = Record<string, unknown>;

/** `, service s, category c` of a logsource (what is set of them). */
function describeLogsource(logsource: RuleLogsource): string {
  return [logsource.service && `, service ${logsource.service}`, logsource.category && `, category ${logsource.category}`].filter(Boolean).join("");
}

/** `product/service/category`, `-` for what the rule leaves out. */
export function logsourceKey(logsource: RuleLogsource): string {
  return [logsource.product ?? "-", logsource.service ?? "-", logsource.category ?? "-"].join("/");
}

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
 * Within each of those rule lists, a literal prefilter (sigma/prefilter.ts) picks the rules whose necessary
 * text occurs in the event; only those run their matcher.
 */
class RuleIndex {
  private readonly keyed = new Map<string, SourceGroup[]>();
  private readonly loose: { test: (event: Event) => boolean; group: SourceGroup }[] = [];
  private readonly groups = new Map<string, SourceGroup>();
  private readonly productRules = new Map<string, CompiledRule[]>();
  private readonly unmapped: CompiledRule[] = [];
  private readonly identify: { product: string; test: (event: Event) => boolean }[] = [];
  /** Per rule list (a group's or a fallback list), built on first use after the last `add`. */
  private readonly prefilters = new Map<CompiledRule[], RulePrefilter<CompiledRule>>();
  /** The same, by the rules a list holds: sources of one category (Sysmon 1, Security 4688) share theirs. */
  private readonly prefiltersByContent = new Map<string, RulePrefilter<CompiledRule>>();
  private readonly requirements = new WeakMap<CompiledRule, Requirement>();
  private readonly ruleIds = new WeakMap<CompiledRule, number>();
  private nextRuleId = 0;

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

  /**
   * Adds a rule; returns the reason when it cannot run on any event (`skipped`), or when it runs only as a
   * fallback on events no mapped product claims, because no logsource mapping routes events to it (`unreachable`).
   */
  add(rule: CompiledRule): { skipped?: string; unreachable?: string } {
    this.prefilters.clear();
    this.prefiltersByContent.clear();
    if (!this.ruleIds.has(rule)) this.ruleIds.set(rule, this.nextRuleId++);
    const logsource = rule.rule.logsource;
    const target = ruleTarget(this.mappings, logsource);
    if (target.kind === "unmapped") {
      this.unmapped.push(rule);
      return { unreachable: `no logsource mapping for product ${logsource.product ?? GENERIC_PRODUCT}${describeLogsource(logsource)}` };
    }
    if (target.kind === "product") {
      if (logsource.category !== undefined || logsource.service !== undefined) {
        if (target.product === GENERIC_PRODUCT) {
          this.unmapped.push(rule);
          return { unreachable: `no logsource mapping for${describeLogsource(logsource).slice(1)} (no product)` };
        }
        const what = [logsource.category && `category ${logsource.category}`, logsource.service && `service ${logsource.service}`]
          .filter(Boolean)
          .join(", ");
        return { skipped: `no logsource mapping for product ${target.product}, ${what} (add one with a logsource file)` };
      }
      const list = this.productRules.get(target.product) ?? [];
      list.push(rule);
      this.productRules.set(target.product, list);
      return {};
    }
    for (const source of target.sources) this.groupFor(source.conditions, source.fields).rules.push(rule);
    return {};
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

  /** Builds every rule list's prefilter now rather than on the first event that needs it. */
  prepare(): void {
    for (const group of this.groups.values()) this.prefilterFor(group.rules);
    for (const rules of this.productRules.values()) this.prefilterFor(rules);
    this.prefilterFor(this.unmapped);
  }

  /** The rules of `rules` that may match `event` (a superset of those that do, in their order). */
  private candidates(rules: CompiledRule[], event: Event): CompiledRule[] {
    return this.prefilterFor(rules).candidates(event);
  }

  private prefilterFor(rules: CompiledRule[]): RulePrefilter<CompiledRule> {
    let prefilter = this.prefilters.get(rules);
    if (prefilter === undefined) {
      const content = rules.map((rule) => this.ruleIds.get(rule)).join(",");
      prefilter = this.prefiltersByContent.get(content) ?? new RulePrefilter(rules, (rule) => this.requirementOf(rule));
      this.prefiltersByContent.set(content, prefilter);
      this.prefilters.set(rules, prefilter);
    }
    return prefilter;
  }

  private requirementOf(rule: CompiledRule): Requirement {
    let requirement = this.requirements.get(rule);
    if (requirement === undefined) {
      requirement = detectionRequirement(rule.rule.detection);
      this.requirements.set(rule, requirement);
    }
    return requirement;
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
      for (const rule of this.candidates(group.rules, mapped)) if (rule.match(mapped)) hits.push(rule);
    }
    if (fallback.length > 0) for (const rule of this.candidates(fallback, event)) if (rule.match(event)) hits.push(rule);
    // A rule reached through two sources (e.g. Sysmon 1 and Security 4688 share no event) is rare; dedupe anyway.
    return groups.length > 1 ? [...new Set(hits)] : hits;
  }
}

export async function createDetector(options: DetectorOptions): Promise<Detector> {
  const mappings = await loadLogsourceMappings(options.logsourceFiles ?? []);
  const index = new RuleIndex(mappings);
  const rulesSkipped: { file: string; reason: string }[] = [];
  const rules: CompiledRule[] = [];
  const correlations: LoadedCorrelation[] = [];
  const filters: CompiledFilter[] = [];
  for (const dir of options.ruleDirs) {
    const loaded = await loadSigmaDirectory(dir, options.placeholders ? { placeholders: options.placeholders } : {});
    rules.push(...loaded.rules);
    correlations.push(...loaded.correlations);
    filters.push(...loaded.filters);
    rulesSkipped.push(...loaded.skipped);
  }
  // Filters wrap the rules' matchers before indexing, so they see the event with the rule's field renames.
  const filtersLoaded = applyFilters(rules, filters, rulesSkipped);
  const indexed: CompiledRule[] = [];
  const rulesUnreachable: Detector["rulesUnreachable"] = [];
  for (const rule of rules) {
    const { skipped, unreachable } = index.add(rule);
    const file = rule.file ?? rule.rule.title;
    if (skipped !== undefined) {
      rulesSkipped.push({ file, reason: skipped });
      continue;
    }
    indexed.push(rule);
    if (unreachable !== undefined) rulesUnreachable.push({ file, reason: unreachable, logsource: logsourceKey(rule.rule.logsource) });
  }
  index.prepare();
  const correlator = createCorrelationEngine(indexed, correlations, options.correlationLimits, options.batch ? "batch" : "live");
  rulesSkipped.push(...correlator.skipped);
  const match = (event: Event): CompiledRule[] => index.match(event);
  const generating = (firings: CorrelationFiring[]) => firings.filter((f) => f.generates).map(correlationAlert);
  let untimed = 0;
  return {
    rulesLoaded: indexed.length + correlator.loaded + filtersLoaded,
    rulesSkipped,
    rulesUnreachable,
    get untimed() {
      return untimed;
    },
    match,
    process(event, source, now = new Date()) {
      const matched = match(event);
      const own = eventTime(event);
      if (own === null) untimed++;
      const alerts = matched.filter((rule) => correlator.generates(rule)).map((rule) => toAlert(rule, event, source, now));
      const time = own === null ? now.getTime() : Date.parse(own);
      alerts.push(...generating(correlator.observe(matched, event, source, time, own !== null)));
      return alerts;
    },
    saveState: () => correlator.save(),
    restoreState: (state) => correlator.restore(state),
    flush: () => generating(correlator.flush()),
    revisions: () => generating(correlator.revisions()),
  };
}

/** Builds the alert of a correlation that fired: the correlation's identity, the event that completed it. */
export function correlationAlert(firing: CorrelationFiring): DetectionAlert {
  return {
    time: new Date(firing.time).toISOString(),
    rule: { ...firing.identity, tags: [...firing.identity.tags] },
    attack: { tactics: [...firing.attack.tactics], tactic_ids: tacticIds(firing.attack.tactics), techniques: [...firing.attack.techniques] },
    source: { ...firing.source },
    event: firing.event,
    correlation: { type: firing.type, group: firing.group, value: firing.value, timespan: firing.timespan, rules: [...firing.rules] },
    events: firing.events,
  };
}

/**
 * Attaches each filter to the rules it names (by id or name; `any` = every rule of the filter's logsource):
 * when the filter's condition holds on an event, the rule does not match it. Returns how many filters apply
 * to at least one rule; references to rules that are not loaded, or whose logsource the filter does not fit,
 * are reported in `warnings`.
 */
export function applyFilters(rules: CompiledRule[], filters: CompiledFilter[], warnings: { file: string; reason: string }[]): number {
  const byReference = new Map<string, CompiledRule[]>();
  for (const rule of rules) {
    for (const reference of [rule.rule.id, rule.rule.name]) {
      if (reference !== undefined) byReference.set(reference, [...(byReference.get(reference) ?? []), rule]);
    }
  }
  const attached = new Map<CompiledRule, CompiledFilter[]>();
  let applied = 0;
  for (const filter of filters) {
    const where = filter.file ?? filter.title;
    const targets = new Set<CompiledRule>();
    const any = filter.rules.length === 1 && filter.rules[0]!.toLowerCase() === "any";
    for (const reference of any ? [] : filter.rules) {
      const named = byReference.get(reference);
      if (!named) {
        warnings.push({ file: where, reason: `filter ${filter.title}: rule ${reference} is not loaded` });
        continue;
      }
      for (const rule of named) {
        if (filterFitsLogsource(filter.logsource, rule.rule.logsource)) targets.add(rule);
        else warnings.push({ file: where, reason: `filter ${filter.title}: rule ${reference} has another logsource; not applied` });
      }
    }
    if (any) for (const rule of rules) if (filterFitsLogsource(filter.logsource, rule.rule.logsource)) targets.add(rule);
    if (targets.size === 0) {
      warnings.push({ file: where, reason: `filter ${filter.title}: applies to no loaded rule` });
      continue;
    }
    applied++;
    for (const rule of targets) attached.set(rule, [...(attached.get(rule) ?? []), filter]);
  }
  for (const [rule, list] of attached) {
    const base = rule.match;
    rule.match = (event) => base(event) && !list.some((filter) => filter.match(event));
  }
  return applied;
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
  // syslog as JSON: journald, rsyslog, syslog-ng, RFC 5424 and ECS names of the sending program and facility.
  ["program", ["SYSLOG_IDENTIFIER", "programname", "PROGRAM", "app_name", "appname", "log.syslog.appname", "syslog.program", "syslog.appname"]],
  ["facility", ["syslogfacility-text", "FACILITY", "log.syslog.facility.name", "syslog.facility", "SYSLOG_FACILITY"]],
];

/** journald gives the facility as its number (RFC 5424); rules name it. */
const SYSLOG_FACILITIES: Record<string, string> = { "4": "auth", "9": "cron", "10": "authpriv" };

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
    if (value === undefined) continue;
    if (target === "EventID") renames[target] = eventIdOf(value);
    else if (target === "facility") renames[target] = SYSLOG_FACILITIES[String(value)] ?? value;
    else renames[target] = value;
  }
  const eventId = event["EventID"];
  if (typeof eventId === "string" && /^\d+$/.test(eventId.trim())) renames["EventID"] = Number(eventId.trim());
  if (Object.keys(renames).length === 0) return event;
  return { ...event, ...renames };
}

export function toAlert(
  rule: CompiledRule,
  event: Record<string, unknown>,
  source: EventSource,
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
    attack: { tactics: [...rule.attack.tactics], tactic_ids: tacticIds(rule.attack.tactics), techniques: [...rule.attack.techniques] },
    source: { file: source.file, record: source.record, ...(source.id === undefined ? {} : { id: source.id }) },
    event,
  };
}
