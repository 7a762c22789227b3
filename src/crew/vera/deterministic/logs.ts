import type { CaseAssessment } from "../../assessment/assessment.js";
import { listOf, shortTime, uniqueCaseless } from "../../assessment/text.js";
import type { VeraInput } from "../schema.js";
import { SOURCES, hostKey, q, type Investigation } from "./investigation.js";

// Step 4, logs and identity: brute force that succeeded, and the case's users signing in elsewhere.

export function logsStep(inv: Investigation, input: VeraInput, a: CaseAssessment, caseHosts: string[]): { findings: string[]; outcome: string; refutes: string | null } {
  const auth = input.augmentation.authentication;
  const findings: string[] = [];
  let refutes: string | null = null;
  const authQuery = (what: string) => q(SOURCES.auth, what);
  if (a.bruteForceChain) {
    inv.add({ type: "bruteforce_success", description: `Alerts show brute force then success: ${a.bruteForceChain.detail}.`, weight: "strong", source_query: q(SOURCES.alert, `brute-force chain ending ${a.bruteForceChain.successAlertId}`), direction: "malicious", time: a.bruteForceChain.successTime, phase: "credential-access", host: a.bruteForceChain.host });
  }
  for (const chain of auth.summary.failure_then_success) {
    inv.add({
      type: "bruteforce_success",
      description: `${chain.failures} failed logon(s) from ${chain.src_ip} then a successful logon${chain.user ? ` as ${chain.user}` : ""} at ${shortTime(chain.success_time)}.`,
      weight: "strong",
      source_query: authQuery(`search_events 4625/4624/sshd from ${chain.src_ip}`),
      direction: "malicious",
      time: chain.success_time,
      phase: "credential-access",
      host: auth.events.find((e) => e.time === chain.success_time)?.host ?? null,
    });
  }
  const bruteAlerts = a.facts.filter((f) => f.family === "auth" && f.remoteSrcIp);
  if (bruteAlerts.length && !a.bruteForceChain && auth.summary.failure_then_success.length === 0 && auth.events.length) {
    const sources = uniqueCaseless(bruteAlerts.map((f) => f.remoteSrcIp));
    const success = auth.events.filter((e) => e.kind === "success" && e.src_ip && sources.some((s) => s.toLowerCase() === e.src_ip!.toLowerCase()));
    if (success.length === 0) {
      const failures = auth.events.filter((e) => e.kind === "failure" && e.src_ip && sources.some((s) => s.toLowerCase() === e.src_ip!.toLowerCase()));
      inv.add({ type: "attempt_failed", description: `${failures.length} failed and no successful logon from ${listOf(sources, 3)} in the auth logs.`, weight: "moderate", source_query: authQuery(`search_events 4624/4625/sshd host=${listOf(caseHosts, 2)}`), direction: "benign", time: failures[0]?.time ?? null, phase: "credential-access", host: caseHosts[0] ?? null });
      inv.ruledOut.push(`a successful logon from ${listOf(sources, 3)}`);
      refutes = `no successful logon from ${listOf(sources, 3)} follows the failures in the auth logs.`;
    }
  }
  const trigger = a.facts.map((f) => f.time).sort()[0]!;
  const users = uniqueCaseless(a.facts.map((f) => f.user));
  const elsewhere = auth.events.filter(
    (e) => e.kind === "success" && e.time >= trigger && e.user && users.some((u) => u.toLowerCase() === e.user!.toLowerCase()) && e.host && !caseHosts.some((h) => hostKey(h) === hostKey(e.host)) && e.logon_type !== "2",
  );
  if (elsewhere.length) {
    const hosts = uniqueCaseless(elsewhere.map((e) => e.host));
    for (const h of hosts) inv.probable.add(h);
    inv.add({ type: "lateral_movement", description: `${listOf(uniqueCaseless(elsewhere.map((e) => e.user)), 2)} logged on to ${listOf(hosts, 4)} after the trigger (logon type ${listOf(uniqueCaseless(elsewhere.map((e) => e.logon_type)), 3)}).`, weight: "moderate", source_query: authQuery(`search_events 4624 user=${users[0] ?? "?"}`), direction: "malicious", time: elsewhere[0]!.time, phase: "lateral-movement", host: hosts[0]! });
  }
  const privileged = auth.events.filter((e) => e.kind === "special_privileges" && e.time >= trigger && e.user && users.some((u) => u.toLowerCase() === e.user!.toLowerCase()));
  if (privileged.length) inv.add({ type: "privileged_logon", description: `${privileged[0]!.user} received special privileges at ${shortTime(privileged[0]!.time)} (4672).`, weight: "weak", source_query: authQuery(`search_events 4672 host=${privileged[0]!.host ?? "?"}`), direction: "malicious", time: privileged[0]!.time, phase: "privilege-escalation", host: privileged[0]!.host });
  findings.push(auth.events.length ? `Auth logs: ${auth.summary.failures} failure(s), ${auth.summary.successes} success(es)${auth.summary.failure_then_success.length ? `, failures then success from ${auth.summary.failure_then_success.map((c) => c.src_ip).join(", ")}` : ""}.` : auth.missing_telemetry.length ? `Auth logs not available: ${listOf(auth.missing_telemetry, 2)}.` : "No authentication events in the window.");
  if (elsewhere.length) findings.push(`Logons of the case's user(s) on other hosts after the trigger: ${elsewhere.length}.`);
  for (const f of a.facts) {
    const id = f.enrichment.identity;
    if (id) findings.push(`${id.username}: ${id.user_type}, ${id.privilege_level}, MFA ${id.mfa_enabled === undefined ? "unknown" : id.mfa_enabled ? "on" : "off"}${id.recent_anomalies?.length ? `, anomalies ${id.recent_anomalies.map((x) => x.kind).join(", ")}` : ""}.`);
  }
  if (a.credentialsSubmitted) findings.push("Credentials were submitted to the phishing page: the account must be treated as compromised.");
  const outcome = inv.has("malicious", "bruteforce_success") ? "brute force succeeded" : elsewhere.length ? "account active on other hosts" : refutes ? "attempt failed" : a.credentialsSubmitted ? "credentials exposed" : "nothing anomalous in the logs";
  return { findings: uniqueCaseless(findings), outcome, refutes };
}
