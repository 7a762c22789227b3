import { describe, expect, it } from "vitest";
import { testStoreKind, useTestEnvironment } from "../../test/support/store.js";
import { listAudit } from "../cases/index.js";
import { listSuppressions } from "../context/index.js";
import { fixedClock } from "../core/index.js";
import type { Analysis } from "./schema.js";
import { decideProposal, getAnalysis, listProposals, publishAnalysis } from "./store.js";

const clock = fixedClock("2026-03-02T00:00:00.000Z", 1000);

function analysis(hosts: string[]): Analysis {
  return {
    schema_version: 1,
    id: "NOVA-night-20260302",
    shift: "night",
    since: "2026-03-01T00:00:00.000Z",
    until: "2026-03-02T00:00:00.000Z",
    analyst: "deterministic",
    counts: { cases: 1, tora_decisions: 1, vera_decisions: 0 },
    patterns: [{ id: "P1", type: "context_gap", title: "hosts without CMDB", evidence: ["TORA-20260301-0001"], confidence: "high", what_would_confirm: "inventory", details: {} }],
    open_questions: [],
    proposals: hosts.map((host, i) => ({ id: `NOVA-night-20260302-R${i + 1}`, kind: "cmdb_record" as const, pattern: "P1", summary: `Add ${host}`, evidence: ["TORA-20260301-0001"], details: { host } })),
  };
}

describe(`NOVA store (${testStoreKind()})`, () => {
  const { db } = useTestEnvironment();

  it("numbers a second analysis of the same shift and day, and never proposes the same thing twice, even once rejected", async () => {
    const first = await publishAnalysis(db(), analysis(["LAB-9"]), clock);
    expect(first.id).toBe("NOVA-night-20260302");
    await decideProposal(db(), "NOVA-night-20260302-R1", "reject", { name: "bob", role: "admin" }, clock, "lab kit, not ours");
    const second = await publishAnalysis(db(), analysis(["lab-9", "WS-7"]), clock);
    expect(second.id).toBe("NOVA-night.2-20260302");
    expect(second.proposals.map((p) => [p.id, p.details.host])).toEqual([["NOVA-night.2-20260302-R2", "WS-7"]]);
    expect(await getAnalysis(db(), second.id)).toEqual(second);
    expect((await listProposals(db(), { status: "rejected" })).map((p) => [p.id, p.decided_by])).toEqual([["NOVA-night-20260302-R1", "bob"]]);
    expect(await listProposals(db(), { analysis: second.id })).toHaveLength(1);
  });

  it("accepting a non-suppression proposal records it and writes no suppression; bad input changes nothing", async () => {
    await publishAnalysis(db(), analysis(["LAB-9"]), clock);
    await expect(decideProposal(db(), "NOVA-nope-20260302-R1", "accept", { name: "bob", role: "analyst" }, clock)).rejects.toThrow(/not found/);
    await expect(decideProposal(db(), "NOVA-night-20260302-R1", "accept", { name: "", role: "analyst" }, clock)).rejects.toThrow(/invalid decider/);
    await expect(listProposals(db(), { status: "maybe" as never })).rejects.toThrow(/invalid proposal filter/);
    expect(await listProposals(db(), { status: "proposed" })).toHaveLength(1);
    const accepted = await decideProposal(db(), "NOVA-night-20260302-R1", "accept", { name: "bob", role: "analyst" }, clock);
    expect(accepted).toMatchObject({ status: "accepted", suppression_id: null });
    expect(await listSuppressions(db())).toEqual([]);
    expect((await listAudit(db(), {})).map((e) => e.action)).toContain("nova.proposal.accepted");
  });
});
