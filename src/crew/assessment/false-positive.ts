import type { Verdict } from "../../core/index.js";
import { containmentGap, deadIndicatorGap, describeContainment, describeDeadIndicator, type ClosingBasis } from "./closing.js";
import type { AlertFacts } from "./facts.js";
import { describeBenign } from "./precedent.js";
import type { BruteForceChain, ClosingFacts, Evidence, FalsePositiveAssessment } from "./assessment-types.js";
import { againstClose, sumCapped } from "./confidence.js";
import { intelIsHostile, perAlertMalicious } from "./evidence.js";

/** Hostile intel that is current (not stale): news a suppression's approver never weighed. */
function currentHostileIntel(f: AlertFacts): boolean {
  return intelIsHostile(f) && f.intel.strength !== "none" && f.intel.strength !== "stale";
}

export function closingFacts(facts: AlertFacts[], spreadAssets: string[]): ClosingFacts {
  const contained = new Set<string>();
  const dead = new Set<string>();
  const answering = new Map<string, "contained_by_control" | "dead_indicator">();
  const bases: ClosingBasis[][] = [];
  const notes: string[][] = [];
  for (const f of facts) {
    const basis: ClosingBasis[] = [];
    const note: string[] = [];
    if (f.suppression?.valid) {
      if (currentHostileIntel(f))
        note.push(`suppression ${f.suppression.id} does not answer current hostile intel (${f.intel.summary}): news its approver never weighed.`);
      else basis.push("suppression");
    }
    if (f.intel.verdict === "benign") basis.push("intel_benign");
    if (f.precedent.benign) {
      if (f.behaviour.length) note.push(`analyst precedent does not answer attacker behaviour (${f.behaviour.map((b) => b.kind).join(", ")}).`);
      else if (intelIsHostile(f) && f.intel.strength !== "none") note.push(`analyst precedent does not answer a hostile intel match (${f.intel.summary}).`);
      else {
        basis.push("analyst_precedent");
        note.push(`Analyst precedent: ${describeBenign(f.precedent.benign, f.enrichment.precedent!.max_age_days)}.`);
      }
    }
    if (f.family === "phishing" && f.email) {
      const gap = containmentGap(f, facts);
      if (gap === null) {
        basis.push("contained_by_control");
        contained.add(f.alertId);
        answering.set(f.alertId, "contained_by_control");
        note.push(`Contained by a control: ${describeContainment(f)}. A true positive that needs nothing further.`);
      } else if (f.email.gatewayBlocked) note.push(`The gateway kept the message out, but it is not treated as contained: ${gap}.`);
    }
    if (f.dns?.resolved === false) {
      const gap = deadIndicatorGap(f, perAlertMalicious(f).map((e) => e.id), spreadAssets);
      if (gap === null) {
        basis.push("dead_indicator");
        dead.add(f.alertId);
        answering.set(f.alertId, "dead_indicator");
        note.push(`Dead indicator: ${describeDeadIndicator(f)}. No connection could follow: a false positive of the detection.`);
      } else if (intelIsHostile(f)) note.push(`NXDOMAIN, but not a dead indicator: ${gap}.`);
    }
    bases.push(basis);
    notes.push(note);
  }
  return { contained, dead, answering, bases, notes };
}

export function assessFalsePositive(
  facts: AlertFacts[],
  closing: ClosingFacts,
  malicious: Evidence[],
  benign: Evidence[],
  chain: BruteForceChain | null,
  credentialsSubmitted: boolean,
): FalsePositiveAssessment {
  const findings: string[] = [];
  const ruledOut: string[] = [];
  const bases = closing.bases;
  facts.forEach((f, i) => {
    const label = facts.length > 1 ? `${f.alertId.slice(0, 8)}: ` : "";
    if (!f.suppression) findings.push(`${label}no suppression matches.`);
    else if (f.suppression.valid)
      findings.push(
        `${label}suppression ${f.suppression.id} matches (in force, ${f.suppression.ageDays} days old ≤ 90${f.suppression.expiresAt ? `, expires ${f.suppression.expiresAt}` : ""}, by ${f.suppression.author}: ${f.suppression.reason}).`,
      );
    else findings.push(`${label}suppression ${f.suppression.id} matches but does not count: ${f.suppression.rejection}.`);
    if (f.process) {
      if (f.process.knownVendor) findings.push(`${label}${f.process.name ?? "process"} carries a valid signature from ${f.process.signer} (known vendor).`);
      else if (f.process.signed === false) findings.push(`${label}${f.process.name ?? "process"} is unsigned.`);
      else if (f.process.signer) findings.push(`${label}signer ${f.process.signer} is not a known vendor.`);
    }
    findings.push(`${label}threat intel: ${f.intel.summary} (strength ${f.intel.strength}).`);
    for (const note of closing.notes[i]!) findings.push(`${label}${note}`);
    const last = f.enrichment.history.last_disposition;
    if (last)
      findings.push(
        `${label}last disposition ${last} over ${f.enrichment.history.same_rule_count} earlier alert(s) of this rule: noted, not relied on ("seen before" never closes).`,
      );
  });
  const m = sumCapped(malicious);
  const mClose = sumCapped(againstClose(malicious));
  const b = sumCapped(benign);
  const allHaveBasis = bases.every((basis) => basis.length > 0);
  // Some evidence no basis can answer: a known-bad indicator on many fresh sources (unless it only
  // confirms what a control already stopped), a brute force that succeeded, credentials handed over.
  const hostileIntel = facts.find((f) => intelIsHostile(f) && f.intel.strength === "strong" && !closing.contained.has(f.alertId));
  const closable = allHaveBasis && b > mClose && !chain && !credentialsSubmitted && !hostileIntel;
  const anyContained = facts.some((f) => closing.contained.has(f.alertId));
  let disposition: Verdict = "undetermined";
  // A contained item was real: the case closes as a true positive, never relabelled benign.
  if (closable && anyContained) disposition = "true_positive";
  else if (closable)
    disposition = bases.every((basis) => basis.every((x) => x === "intel_benign" || x === "dead_indicator" || x === "analyst_precedent")) ? "false_positive" : "benign_true_positive";
  else if (chain || credentialsSubmitted || m >= 20) disposition = "true_positive";
  const contained = closable && facts.every((f) => closing.contained.has(f.alertId));
  const likely = closable && disposition !== "true_positive";
  const suppressionId = closable ? (facts.find((f, i) => f.suppression?.valid && bases[i]!.includes("suppression"))?.suppression?.id ?? null) : null;

  const rejected = facts.filter((f) => f.suppression && !f.suppression.valid);
  if (!facts.some((f) => f.suppression)) ruledOut.push("a sanctioned activity: no suppression covers it");
  for (const f of rejected) ruledOut.push(`suppression ${f.suppression!.id} as a basis: ${f.suppression!.rejection}`);
  if (facts.some((f) => intelIsHostile(f) && f.intel.strength !== "none"))
    ruledOut.push(`a benign indicator: ${facts.filter(intelIsHostile).map((f) => f.intel.summary).join("; ")}`);
  if (facts.some((f) => f.dns?.resolved === true)) ruledOut.push("a failed lookup: the domain resolved (NOERROR)");
  if (facts.some((f) => f.enrichment.history.last_disposition))
    ruledOut.push("closing on history: an earlier disposition is not evidence about this alert");
  if (contained) ruledOut.push("delivery to the mailbox, a click and endpoint follow-up: the gateway kept the message out");
  if (closing.dead.size > 0) ruledOut.push("an active indicator: the domain did not resolve and its intel is stale or weak, with no repeat");

  const strongest = [...malicious].sort((a, b2) => b2.weight - a.weight).slice(0, 3).map((e) => e.detail);
  const kinds = [...new Set(bases.flat())].join(", ");
  const answered = malicious.filter((e) => e.answeredBy).map((e) => e.id);
  let reasoning: string;
  if (contained)
    reasoning =
      `True positive contained by a control on every alert (${kinds}): ${facts.map(describeContainment).join("; ")}. ` +
      `The malicious evidence (${answered.join(", ") || "none"}) confirms the classification of the contained item and does not count against closing; nothing further is needed.`;
  else if (closable && anyContained)
    reasoning = `Closing basis on every alert (${kinds}), one of them a true positive contained by a control; benign evidence ${b} outweighs the malicious ${mClose} that counts against closing.`;
  else if (closable)
    reasoning = `Benign basis on every alert (${kinds}); benign evidence ${b} outweighs malicious ${mClose}${answered.length ? ` (not counting ${answered.join(", ")}, which the basis accounts for)` : ""}.`;
  else if (!allHaveBasis)
    reasoning = `No valid closing basis (suppression ≤ 90 days, benign intel, a control that contained it, or a dead indicator) for ${facts.filter((_, i) => bases[i]!.length === 0).length} of ${facts.length} alert(s)${strongest.length ? `; against it: ${strongest.join("; ")}` : ""}.`;
  else if (chain) reasoning = `A suppression cannot cover a brute force that succeeded: ${chain.detail}.`;
  else if (credentialsSubmitted) reasoning = "Credentials were submitted to the phishing page: never a false positive at tier 1.";
  else if (hostileIntel) reasoning = `A benign basis cannot answer strong threat intel: ${hostileIntel.intel.summary}.`;
  else reasoning = `Closing basis present but malicious evidence ${mClose} is at least the benign ${b}: ${strongest.join("; ")}.`;
  return { closable, likely, contained, bases, disposition, reasoning, suppressionId, findings, ruledOut };
}
