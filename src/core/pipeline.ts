import { z } from "zod";

/**
 * The pipeline: every durable hand-off between stages, declared once, in the order work flows.
 *
 *   events.detect ─► alert.enrich ─► alert.group ─► case.triage ─► case.investigate
 *                                                        │                │
 *                                                        └──► journal.post ◄┘
 *
 * A job is queued in the same transaction as the data it refers to (src/store/queue.ts `enqueue` takes one
 * of these descriptors, so a typo in a kind or a payload of the wrong shape is a type error) and worked by
 * the consumer's handler (src/store/worker.ts `handles`), which receives the payload validated once, by the
 * worker, against the schema declared here. Nothing else spells a job kind.
 */
export interface JobKind<K extends string = string, S extends z.ZodTypeAny = z.ZodTypeAny> {
  kind: K;
  /** The payload's schema: the producer's argument is its input type, the consumer's its output type. */
  payload: S;
  /** A second job with the same key is not queued: the hand-off is idempotent. None: every enqueue queues. */
  dedupeKey?: (payload: z.input<S>) => string;
  /** Who queues it (the file that calls `enqueue`). */
  producer: string;
  /** Who works it (the file whose handler takes it). */
  consumer: string;
}

/** What a producer passes to `enqueue` for a job (defaults may be left out). */
export type JobInput<J extends JobKind> = z.input<J["payload"]>;
/** What the consumer's handler receives: the payload after the schema (defaults filled in). */
export type JobPayload<J extends JobKind> = z.output<J["payload"]>;

/** Declares a job kind (tests declare their own throw-away kinds the same way). */
export function defineJob<K extends string, S extends z.ZodTypeAny>(job: JobKind<K, S>): JobKind<K, S> {
  return job;
}

/** A crew stage's payload: `attempt` counts model runs on the case, a retry after a failed run carries the next. */
export const CaseAttempt = z.object({ case_id: z.string().min(1), attempt: z.number().int().min(1).default(1) });
const attemptKey = (prefix: string) => (p: z.input<typeof CaseAttempt>) => ((p.attempt ?? 1) > 1 ? `${prefix}:${p.case_id}:attempt-${p.attempt}` : `${prefix}:${p.case_id}`);

/** events.detect: stored raw events to run the Sigma rules over; what fires is ingested as alerts. */
export const DETECT_JOB = defineJob({
  kind: "events.detect",
  payload: z.object({ ids: z.array(z.string().min(1)) }),
  producer: "src/ingest/events.ts ingestEvents",
  consumer: "src/app/detection.ts detectionHandlers",
});

/** alert.enrich: one stored alert to enrich (again, with `force`, after the context changed). */
export const ENRICH_JOB = defineJob({
  kind: "alert.enrich",
  payload: z.object({
    alert_id: z.string().min(1),
    /** Enrich again even when the alert already carries an enrichment (after the context changed). */
    force: z.boolean().optional(),
  }),
  producer: "src/ingest/ingest.ts ingestAlerts (every new alert; `force` is for a re-enrichment after the context changed)",
  consumer: "src/context/handler.ts contextHandlers",
});

/** alert.group: one enriched alert to attach to a case (a new case is handed to triage). */
export const GROUP_JOB = defineJob({
  kind: "alert.group",
  payload: z.object({ alert_id: z.string().min(1) }),
  dedupeKey: (p) => `group:${p.alert_id}`,
  producer: "src/context/handler.ts enrichStoredAlert",
  consumer: "src/cases/handlers.ts caseHandlers",
});

/** case.triage: TORA decides on a new case (a retry after a failed model run carries the next attempt). */
export const TRIAGE_JOB = defineJob({
  kind: "case.triage",
  payload: CaseAttempt,
  dedupeKey: attemptKey("triage"),
  producer: "src/cases/handlers.ts (new case); src/crew/stage/failure.ts (retry)",
  consumer: "src/crew/tora/handler.ts toraHandlers",
});

/** case.investigate: VERA investigates a case TORA escalated. */
export const INVESTIGATE_JOB = defineJob({
  kind: "case.investigate",
  payload: CaseAttempt,
  dedupeKey: attemptKey("investigate"),
  producer: "src/crew/tora/handler.ts (ESCALATED); src/crew/stage/failure.ts (retry)",
  consumer: "src/crew/vera/handler.ts veraHandlers",
});

/** journal.post: the post of one decision (any agent's); after it commits, the static site is rebuilt. */
export const JOURNAL_POST_JOB = defineJob({
  kind: "journal.post",
  payload: z.object({
    decision_id: z.string().min(1),
    /** Shift id when the crew runs named shifts; the decision's UTC date otherwise. */
    shift: z.string().min(1).optional(),
  }),
  dedupeKey: (p) => (p.shift ? `journal:${p.decision_id}:${p.shift}` : `journal:${p.decision_id}`),
  producer: "src/crew/tora/handler.ts, src/crew/vera/handler.ts (every decision)",
  consumer: "src/journal/handler.ts journalHandlers (afterCommit: the site rebuild, src/app/serve.ts)",
});

/** The job of a crew stage (TORA's triage, VERA's investigation): {case_id, attempt}, retried by the stage. */
export type CrewStageJob = typeof TRIAGE_JOB | typeof INVESTIGATE_JOB;

/** Every job kind, in pipeline order. */
export const PIPELINE = [DETECT_JOB, ENRICH_JOB, GROUP_JOB, TRIAGE_JOB, INVESTIGATE_JOB, JOURNAL_POST_JOB] as const;
/** The name of a pipeline job kind. */
export type PipelineJobKind = (typeof PIPELINE)[number]["kind"];
