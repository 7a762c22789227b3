import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CaseAttempt, DETECT_JOB, ENRICH_JOB, GROUP_JOB, INVESTIGATE_JOB, JOURNAL_POST_JOB, PIPELINE, TRIAGE_JOB, defineJob, type JobInput, type JobKind, type PipelineJobKind } from "./pipeline.js";

/** What `enqueue` accepts, at the type level only (src/store/queue.ts has the same signature). */
function accepts<J extends JobKind>(_job: J, _payload: JobInput<J>): void {}

describe("the pipeline's job kinds", () => {
  it("are declared once each, in flow order", () => {
    expect(PIPELINE.map((job) => job.kind)).toEqual(["events.detect", "alert.enrich", "alert.group", "case.triage", "case.investigate", "journal.post"]);
    expect(new Set(PIPELINE.map((job) => job.kind)).size).toBe(PIPELINE.length);
    for (const job of PIPELINE) expect(job.producer && job.consumer).toBeTruthy();
  });

  it("make a misspelt kind or a payload of the wrong shape a type error", () => {
    const kind: PipelineJobKind = "case.triage";
    // @ts-expect-error -- not a kind of the pipeline
    const typo: PipelineJobKind = "case.traige";
    accepts(TRIAGE_JOB, { case_id: "TORA-1" });
    // @ts-expect-error -- the triage job takes a case id, not an alert id
    accepts(TRIAGE_JOB, { alert_id: "a1" });
    // @ts-expect-error -- a job is named by its descriptor, never by a string
    accepts("case.triage", { case_id: "TORA-1" });
    accepts(JOURNAL_POST_JOB, { decision_id: "d1", shift: "night-1" });
    expect([kind, typo]).toHaveLength(2);
  });

  it("derive the dedupe key from the payload, so a hand-off is queued once", () => {
    expect(GROUP_JOB.dedupeKey!({ alert_id: "a1" })).toBe("group:a1");
    expect(TRIAGE_JOB.dedupeKey!({ case_id: "TORA-1" })).toBe("triage:TORA-1");
    expect(TRIAGE_JOB.dedupeKey!({ case_id: "TORA-1", attempt: 1 })).toBe("triage:TORA-1");
    expect(TRIAGE_JOB.dedupeKey!({ case_id: "TORA-1", attempt: 3 })).toBe("triage:TORA-1:attempt-3");
    expect(INVESTIGATE_JOB.dedupeKey!({ case_id: "TORA-1", attempt: 2 })).toBe("investigate:TORA-1:attempt-2");
    expect(JOURNAL_POST_JOB.dedupeKey!({ decision_id: "d1" })).toBe("journal:d1");
    expect(JOURNAL_POST_JOB.dedupeKey!({ decision_id: "d1", shift: "night-1" })).toBe("journal:d1:night-1");
    expect(ENRICH_JOB.dedupeKey).toBeUndefined();
    expect(DETECT_JOB.dedupeKey).toBeUndefined();
  });

  it("validate payloads with their schema (defaults filled in for the consumer)", () => {
    expect(CaseAttempt.parse({ case_id: "TORA-1" })).toEqual({ case_id: "TORA-1", attempt: 1 });
    expect(ENRICH_JOB.payload.safeParse({ id: 1 }).success).toBe(false);
    const custom = defineJob({ kind: "test.kind", payload: z.object({ n: z.number() }), producer: "p", consumer: "c" });
    expect(custom.payload.parse({ n: 1 })).toEqual({ n: 1 });
  });
});
