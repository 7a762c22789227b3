import { ValidationError, issuesOf } from "../../core/errors.js";
import { attackOf, type AttackTags, type CompiledRule, type LoadedCorrelation } from "../sigma/index.js";
import type { Observation } from "./group.js";
import { CorrelationState } from "./state.js";
import { DEFAULT_CORRELATION_LIMITS, type CorrelationFiring, type CorrelationLimits, type EventSource, type WindowFiring } from "./types.js";
import { CorrelationWindows } from "./windows.js";

// ---------------------------------------------------------------------------------------------------------
// The correlation engine: reference resolution, chaining, generate

type Node = { kind: "rule"; rule: CompiledRule } | { kind: "correlation"; index: number };

interface Listener {
  windows: CorrelationWindows;
  member: number;
}

export interface CorrelationEngine {
  /** Correlations that resolved and will run. */
  loaded: number;
  skipped: { file: string; reason: string }[];
  /** Whether a base rule alerts on its own (false when a correlation refers to it without `generate: true`). */
  generates(rule: CompiledRule): boolean;
  /**
   * Feeds the base rules an event matched (possibly none: the event still moves the clock); returns the
   * correlations it completed, chains followed. `ownTime` false: `time` is a stand-in (the event carries no
   * time) and does not move the detector's event clock.
   */
  observe(matched: CompiledRule[], event: Record<string, unknown>, source: EventSource, time: number, ownTime?: boolean): CorrelationFiring[];
  /**
   * End of input: closes every window judged at close (upper-bounded conditions) and, in batch mode, emits the
   * held alerts with their windows' totals.
   */
  flush(): CorrelationFiring[];
  /**
   * Live mode: alerts already returned whose window has counted more events since the last call, with the
   * window's total now (same correlation, group and first event: the same alert, revised).
   */
  revisions(): CorrelationFiring[];
  save(): CorrelationState;
  restore(state: unknown): void;
}

function ruleIdentity(rule: CompiledRule): { id: string; title: string } {
  return { id: rule.rule.id ?? rule.file ?? rule.rule.title, title: rule.rule.title };
}

export function correlationKey(correlation: LoadedCorrelation): string {
  return correlation.id ?? correlation.name ?? `${correlation.file ?? ""}#${correlation.title}`;
}

/** Largest count a condition names, for types whose measure is a count of events. */
function countThreshold(correlation: LoadedCorrelation): number {
  if (correlation.type !== "event_count" && correlation.type !== "value_count") return 0;
  return Math.max(0, ...Object.values(correlation.condition));
}

/**
 * `mode`: `live` (the default) returns an alert when its condition first holds and its later counts through
 * `revisions()`; `batch` (the whole input is known) returns each such alert once, at `flush()`, with its
 * window's total.
 */
export function createCorrelationEngine(
  rules: CompiledRule[],
  correlations: LoadedCorrelation[],
  limitOverrides: Partial<CorrelationLimits> = {},
  mode: "live" | "batch" = "live",
): CorrelationEngine {
  const limits = { ...DEFAULT_CORRELATION_LIMITS, ...limitOverrides };
  const skipped: { file: string; reason: string }[] = [];

  const global = new Map<string, Node[]>();
  const local = new Map<string, Map<string, Node>>();
  const register = (reference: string | undefined, file: string | undefined, node: Node) => {
    if (reference === undefined) return;
    global.set(reference, [...(global.get(reference) ?? []), node]);
    const scope = local.get(file ?? "") ?? new Map<string, Node>();
    if (!scope.has(reference)) scope.set(reference, node);
    local.set(file ?? "", scope);
  };
  for (const rule of rules) {
    register(rule.rule.id, rule.file, { kind: "rule", rule });
    register(rule.rule.name, rule.file, { kind: "rule", rule });
  }
  correlations.forEach((correlation, index) => {
    register(correlation.id, correlation.file, { kind: "correlation", index });
    register(correlation.name, correlation.file, { kind: "correlation", index });
  });
  // A name is unique per correlation file; the same file wins over other folders.
  const resolve = (reference: string, file: string | undefined): Node | undefined =>
    local.get(file ?? "")?.get(reference) ?? global.get(reference)?.[0];

  const resolved: (Node[] | string)[] = correlations.map((correlation) => {
    const nodes: Node[] = [];
    for (const reference of correlation.rules) {
      const node = resolve(reference, correlation.file);
      if (!node) return `refers to ${reference}, which is not loaded`;
      nodes.push(node);
    }
    const threshold = countThreshold(correlation);
    if (threshold >= limits.entriesPerGroup) return `condition threshold ${threshold} exceeds ${limits.entriesPerGroup} events per window`;
    return nodes;
  });
  // A correlation over a skipped (or cyclic) correlation cannot run either.
  const state = new Map<number, "visiting" | "ok" | "bad">();
  const check = (index: number): boolean => {
    const current = state.get(index);
    if (current === "ok") return true;
    if (current === "bad") return false;
    if (current === "visiting") {
      resolved[index] = "correlation cycle";
      return false;
    }
    state.set(index, "visiting");
    const nodes = resolved[index]!;
    let ok = typeof nodes !== "string";
    if (typeof nodes !== "string") {
      for (const node of nodes) {
        if (node.kind === "correlation" && !check(node.index)) {
          if (typeof resolved[index] !== "string") resolved[index] = `refers to correlation ${correlations[node.index]!.title}, which is skipped`;
          ok = false;
          break;
        }
      }
    }
    state.set(index, ok ? "ok" : "bad");
    return ok;
  };
  correlations.forEach((_, index) => check(index));

  const windows: (CorrelationWindows | undefined)[] = [];
  const ruleListeners = new Map<CompiledRule, Listener[]>();
  const correlationListeners = new Map<number, Listener[]>();
  const silencedRules = new Set<CompiledRule>();
  const generatingRules = new Set<CompiledRule>();
  const silencedCorrelations = new Set<number>();
  const generatingCorrelations = new Set<number>();
  const attacks: AttackTags[] = [];

  correlations.forEach((correlation, index) => {
    const nodes = resolved[index]!;
    if (typeof nodes === "string") {
      skipped.push({ file: correlation.file ?? correlation.title, reason: `correlation ${correlation.title}: ${nodes}` });
      windows.push(undefined);
      return;
    }
    const own = new CorrelationWindows(correlation, limits, mode === "batch");
    windows.push(own);
    nodes.forEach((node, member) => {
      const listener = { windows: own, member };
      if (node.kind === "rule") {
        ruleListeners.set(node.rule, [...(ruleListeners.get(node.rule) ?? []), listener]);
        (correlation.generate ? generatingRules : silencedRules).add(node.rule);
      } else {
        correlationListeners.set(node.index, [...(correlationListeners.get(node.index) ?? []), listener]);
        (correlation.generate ? generatingCorrelations : silencedCorrelations).add(node.index);
      }
    });
  });

  const attackOfCorrelation = (index: number, seen = new Set<number>()): AttackTags => {
    const cached = attacks[index];
    if (cached) return cached;
    const correlation = correlations[index]!;
    const tactics = new Set<string>();
    const techniques = new Set<string>();
    const add = (attack: AttackTags) => {
      attack.tactics.forEach((t) => tactics.add(t));
      attack.techniques.forEach((t) => techniques.add(t));
    };
    add(attackOf(correlation.tags));
    seen.add(index);
    const nodes = resolved[index];
    if (typeof nodes !== "string" && nodes) {
      for (const node of nodes) {
        if (node.kind === "rule") add(node.rule.attack);
        else if (!seen.has(node.index)) add(attackOfCorrelation(node.index, seen));
      }
    }
    const attack = { tactics: [...tactics], techniques: [...techniques] };
    attacks[index] = attack;
    return attack;
  };

  const indexOf = new Map<CorrelationWindows, number>();
  windows.forEach((w, index) => w && indexOf.set(w, index));
  /** The highest event time seen: closes the windows judged at close (upper-bounded conditions) only. */
  let watermark: number | null = null;
  /** Timed events seen, for the idle sweep. */
  let timed = 0;

  const toFiring = (index: number, fired: WindowFiring): CorrelationFiring => {
    const correlation = correlations[index]!;
    return {
      identity: {
        id: correlationKey(correlation),
        title: correlation.title,
        level: correlation.level ?? "medium",
        author: correlation.author ?? "",
        tags: [...correlation.tags],
      },
      attack: attackOfCorrelation(index),
      type: correlation.type,
      timespan: correlation.timespan,
      rules: [...correlation.rules],
      ...fired,
      generates: !silencedCorrelations.has(index) || generatingCorrelations.has(index),
    };
  };

  /** Emits a firing and feeds it to the correlations that refer to its correlation. */
  const propagate = (index: number, firing: CorrelationFiring, out: CorrelationFiring[], depth: number): void => {
    out.push(firing);
    if (depth > correlations.length) return;
    for (const listener of correlationListeners.get(index) ?? []) {
      const observation: Observation = {
        time: firing.time,
        member: listener.member,
        event: firing.event,
        source: firing.source,
        rule: { id: firing.identity.id, title: firing.identity.title },
        group: firing.group,
      };
      for (const fired of listener.windows.observe(observation)) {
        const outer = indexOf.get(listener.windows)!;
        propagate(outer, toFiring(outer, fired), out, depth + 1);
      }
    }
  };

  const sweep = (out: CorrelationFiring[], at: number) => {
    windows.forEach((w, index) => {
      if (!w) return;
      for (const fired of [...w.takeReleased(), ...w.due(at)]) propagate(index, toFiring(index, fired), out, 0);
    });
  };

  return {
    loaded: windows.filter(Boolean).length,
    skipped,
    generates: (rule) => !silencedRules.has(rule) || generatingRules.has(rule),
    observe(matched, event, source, time, ownTime = true) {
      const out: CorrelationFiring[] = [];
      // An event without a time of its own cannot be placed in a window: it is not counted (the detector reports it).
      if (!ownTime) return out;
      watermark = watermark === null ? time : Math.max(watermark, time);
      // One event counts once per correlation, even when it matches several of its rules (as `r1 or r2` would);
      // temporal types count rules, so each matching rule is an observation there.
      const counted = new Set<CorrelationWindows>();
      for (const rule of matched) {
        for (const listener of ruleListeners.get(rule) ?? []) {
          const type = listener.windows.correlation.type;
          if (type !== "temporal" && type !== "temporal_ordered") {
            if (counted.has(listener.windows)) continue;
            counted.add(listener.windows);
          }
          const observation: Observation = { time, member: listener.member, event, source, rule: ruleIdentity(rule) };
          for (const fired of listener.windows.observe(observation)) {
            const index = indexOf.get(listener.windows)!;
            propagate(index, toFiring(index, fired), out, 0);
          }
        }
      }
      if (watermark !== null) sweep(out, watermark);
      if (++timed % limits.sweepEvery === 0) for (const w of windows) w?.sweepIdle(watermark);
      return out;
    },
    flush() {
      const out: CorrelationFiring[] = [];
      // Inner correlations first, so that what they fire can still close in the outer ones.
      for (let round = 0; round <= correlations.length; round++) {
        const before = out.length;
        windows.forEach((w, index) => {
          for (const fired of w?.flush() ?? []) propagate(index, toFiring(index, fired), out, 0);
        });
        if (out.length === before && round > 0) break;
      }
      return out.sort((a, b) => a.time - b.time); // stable: an inner correlation's alert before the outer one it completes
    },
    revisions() {
      return windows.flatMap((w, index) => (w ? w.takeRevisions().map((fired) => toFiring(index, fired)) : []));
    },
    save() {
      const saved: CorrelationState = { version: 1, watermark, correlations: {} };
      windows.forEach((w, index) => {
        if (w && w.groups.size > 0) saved.correlations[correlationKey(correlations[index]!)] = w.save();
      });
      return saved;
    },
    restore(input) {
      const parsed = CorrelationState.safeParse(input);
      if (!parsed.success) throw new ValidationError("invalid correlation state", issuesOf(parsed.error));
      const byKey = new Map<string, CorrelationWindows>();
      windows.forEach((w, index) => w && byKey.set(correlationKey(correlations[index]!), w));
      for (const [key, groups] of Object.entries(parsed.data.correlations)) {
        const w = byKey.get(key);
        if (!w) continue;
        const members = w.correlation.rules.length;
        const bad = groups.findIndex((g) => [...g.entries, ...(g.alerted ?? []).flatMap((w) => w.kept ?? [])].some((e) => e.m >= members));
        if (bad >= 0) {
          throw new ValidationError("invalid correlation state", [{ path: `correlations.${key}.${bad}.entries`, message: `member index beyond ${members - 1}` }]);
        }
      }
      // Validated as a whole first: a bad state leaves the current windows untouched.
      watermark = parsed.data.watermark;
      for (const w of windows) w?.restore([]);
      for (const [key, groups] of Object.entries(parsed.data.correlations)) byKey.get(key)?.restore(groups);
    },
  };
}
