import { z } from "zod";
import { ActionHint, CmdbAsset, Identity, Indicator, Subnet, Suppression, ToraVerdict, VeraVerdict } from "../core/index.js";

/**
 * The scenario pack format, `nightshift.pack.v1`: an organisation's context, a timeline of alerts and raw
 * logs, external alert files whose label columns are stripped before import, and the ground truth. This zod
 * schema is the one source of truth: `pack.schema.json` is generated from it (`z.toJSONSchema`), and
 * `load.ts` adds the checks a schema cannot express (files exist, alerts validate, references resolve).
 */
export const PACK_FORMAT = "nightshift.pack.v1";

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "letters, digits, '.', '_', ':' or '-' (at most 128)");
const Technique = z.string().regex(/^T\d{4}(?:\.\d{3})?$/, "an ATT&CK technique id such as T1071.004");
const IsoTime = z.iso.datetime({ offset: true, message: "an ISO-8601 time such as 2026-11-24T02:13:00Z" });
/** A relative offset from the pack's `start`: seconds, or `90s`, `5m`, `1h30m`, `2d`, optionally with a leading `+`. */
export const Offset = z.union([
  z.number().min(0),
  z.string().regex(/^\+?(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+(?:\.\d+)?s)?$/, "an offset such as 90s, 5m, 1h30m or 2d"),
]);

/** Ground truth of one alert (or of every alert a raw-log entry raises): the answer key, never shown to the crew. */
export const AlertTruth = z.strictObject({
  malicious: z.boolean(),
  /** The incident the alert belongs to (an `incidents[].id`); a malicious alert without one is an incident on its own. */
  incident: Id.optional(),
  /** Expected TORA verdict; default: the incident's, else ESCALATED when malicious and CLOSED when benign. */
  tora: ToraVerdict.optional(),
  /** Expected VERA verdict when TORA escalates; default: the incident's. */
  vera: VeraVerdict.optional(),
  techniques: z.array(Technique).optional(),
  note: z.string().optional(),
});
export type AlertTruth = z.infer<typeof AlertTruth>;

export const ContainmentAction = z.strictObject({ action: ActionHint, target: z.string().min(1) });
export type ContainmentAction = z.infer<typeof ContainmentAction>;

export const Incident = z.strictObject({
  id: Id,
  title: z.string().min(1),
  malicious: z.boolean(),
  techniques: z.array(Technique).default([]),
  tora: ToraVerdict.optional(),
  vera: VeraVerdict.optional(),
  /** Actions the crew should recommend (VERA's containment), each an action hint on a target of the case. */
  containment: z.array(ContainmentAction).default([]),
  /** Actions that would be wrong here (isolating the domain controller for a benign change…). */
  forbidden: z.array(ContainmentAction).default([]),
  note: z.string().optional(),
});
export type Incident = z.infer<typeof Incident>;

/** One alert (the generic JSON alert of POST /api/v1/alerts) or one raw-log file, at a relative or absolute time. */
export const TimelineEntry = z
  .strictObject({
    at: Offset.optional(),
    time: IsoTime.optional(),
    alert: z.record(z.string(), z.unknown()).optional(),
    /** EVTX / JSON / NDJSON (gzip, zip) events, path relative to the pack: run through detection like `ingest logs`. */
    logs: z.string().min(1).optional(),
    truth: AlertTruth,
  })
  .refine((e) => (e.alert === undefined) !== (e.logs === undefined), { message: "an entry holds either an alert or logs" })
  .refine((e) => e.at === undefined || e.time === undefined, { message: "give either at (relative) or time (absolute), not both" });
export type TimelineEntry = z.infer<typeof TimelineEntry>;

const FieldMapSpec = z.union([z.record(z.string(), z.string().min(1)), z.string().min(1)]);

/** Truth from label columns of an external file; every label column is stripped before import. */
export const ColumnTruth = z.strictObject({
  column: z.string().min(1),
  /** Rows whose label is one of these are benign; all others malicious. */
  benign: z.array(z.string()).min(1),
  /** Malicious rows with the same value here are one incident (an attack phase); default: one incident per file. */
  phase_column: z.string().min(1).optional(),
  /** More columns that must never reach the crew (other labels). */
  strip: z.array(z.string().min(1)).default([]),
});
export type ColumnTruth = z.infer<typeof ColumnTruth>;

/** A big labelled alert file (CSV / NDJSON / JSON, gzip ok) imported with the `ingest alerts --map` semantics (times: ISO-8601 or epoch seconds/milliseconds). */
export const AlertFile = z.strictObject({
  /** Relative to the pack (or to `eval --data DIR`), or absolute. */
  path: z.string().min(1),
  format: z.enum(["csv", "ndjson", "json"]).optional(),
  /** target → source column, as `--map` (`{title: name}` or `"title=name,host.name=host"`). */
  map: FieldMapSpec.optional(),
  truth: ColumnTruth,
});
export type AlertFile = z.infer<typeof AlertFile>;

/**
 * A labelled history file to learn from before the shift (`nightshift feedback import FILE --format … --map …
 * --label COLUMN --benign V`): rows labelled benign are false positives, all others true positives.
 */
export const LearnFrom = z.strictObject({
  path: z.string().min(1),
  format: z.enum(["csv", "ndjson"]).optional(),
  map: FieldMapSpec.optional(),
  label: z.string().min(1),
  benign: z.array(z.string()).min(1),
  /** Roles of the history's own hosts (host → role), for history from another estate whose hosts the pack's CMDB lacks. */
  roles: z.record(z.string().min(1), z.string().min(1)).optional(),
});
export type LearnFrom = z.infer<typeof LearnFrom>;

/** The context-file contract of `nightshift context load` (src/context/load.ts validates it in full). */
export const PackContext = z.strictObject({
  assets: z.array(CmdbAsset).optional(),
  identities: z.array(Identity).optional(),
  indicators: z.array(Indicator).optional(),
  suppressions: z.array(Suppression).optional(),
  subnets: z.array(Subnet).optional(),
});

export const Pack = z.strictObject({
  format: z.literal(PACK_FORMAT),
  name: Id,
  title: z.string().min(1),
  description: z.string().optional(),
  /** The anchor of relative offsets (`at`). */
  start: IsoTime.optional(),
  /** Replay step on the accelerated clock: alerts of one step are ingested together, then the queue is worked. */
  step: Offset.optional(),
  context: PackContext.default({}),
  timeline: z.array(TimelineEntry).default([]),
  alert_files: z.array(AlertFile).default([]),
  learn_from: z.array(LearnFrom).default([]),
  incidents: z.array(Incident).default([]),
});
export type Pack = z.infer<typeof Pack>;
export type PackInput = z.input<typeof Pack>;

/** The JSON Schema shipped as `pack.schema.json`, generated from the zod schema above. */
export function packJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(Pack, { io: "input", unrepresentable: "any" }),
    $id: "https://nightshift.dev/schemas/nightshift.pack.v1.json",
    title: "Nightshift scenario pack (nightshift.pack.v1)",
  };
}
