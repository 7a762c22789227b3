import type { CaseAssessment } from "../../assessment/assessment.js";
import { listOf, shortTime, uniqueCaseless } from "../../assessment/text.js";
import type { CaseEntities } from "../augment.js";
import { EXFIL_BYTES } from "../containment.js";
import type { DestinationSummary, VeraInput } from "../schema.js";
import { BROWSERS, SOURCES, hostKey, image, q, type Investigation } from "./investigation.js";

// Step 3, network: connections to the case's destinations (beaconing, large transfers out), other hosts that
// resolved its domains, and who issued the lookups.

export function networkStep(
  inv: Investigation,
  input: VeraInput,
  a: CaseAssessment,
  entities: CaseEntities,
  caseHosts: string[],
): { findings: string[]; outcome: string; refutes: string | null } {
  const aug = input.augmentation;
  const findings: string[] = [];
  const trigger = a.facts.map((f) => f.time).sort()[0]!;
  const netQuery = (d: DestinationSummary) => q(SOURCES.network, `search_events connections to ${d.destination} after ${shortTime(trigger)}`);
  const toIndicator = aug.network.destinations.filter((d) => d.case_indicator && d.last >= trigger);
  const answers = new Set(a.facts.flatMap((f) => f.dns?.answers ?? []).map((x) => x.toLowerCase()));
  const toAnswers = aug.network.destinations.filter((d) => !d.case_indicator && d.dst_ip && answers.has(d.dst_ip.toLowerCase()) && d.last >= trigger);
  for (const d of [...toIndicator, ...toAnswers]) {
    const browserOnly = d.processes.length > 0 && d.processes.every((p) => BROWSERS.has(image(p)));
    inv.add({
      type: "c2_connection",
      description: `${d.count} connection(s) to ${d.dst_host ?? d.dst_ip}${d.dst_port !== null ? `:${d.dst_port}` : ""} between ${shortTime(d.first)} and ${shortTime(d.last)}${d.processes.length ? ` by ${listOf(d.processes.map(image), 3)}` : ""}.`,
      weight: browserOnly ? "moderate" : "strong",
      source_query: netQuery(d),
      direction: "malicious",
      time: d.first,
      phase: "command-and-control",
      host: null,
    });
    if (d.beaconing)
      inv.add({
        type: "beaconing",
        description: `Beaconing to ${d.dst_host ?? d.dst_ip}: ${d.count} connections every ~${d.interval_seconds}s (jitter ${Math.round((d.jitter ?? 0) * 100)}%).`,
        weight: "strong",
        source_query: netQuery(d),
        direction: "malicious",
        time: d.first,
        phase: "command-and-control",
        host: null,
      });
    const bytes = aug.network.connections.filter((c) => (c.dst_ip ?? c.dst_host) && `${(c.dst_ip ?? c.dst_host)!.toLowerCase()}:${c.dst_port ?? ""}`.replace(/:$/, "") === d.destination).reduce((s, c) => s + (c.bytes_out ?? 0), 0);
    if (bytes >= EXFIL_BYTES)
      inv.add({ type: "exfiltration", description: `${Math.round(bytes / 1024 / 1024)} MB sent to ${d.dst_host ?? d.dst_ip}.`, weight: "strong", source_query: netQuery(d), direction: "malicious", time: d.last, phase: "actions-on-objectives", host: null });
  }
  const otherBeacons = aug.network.destinations.filter((d) => d.beaconing && !d.case_indicator && !toAnswers.includes(d) && !d.processes.every((p) => BROWSERS.has(image(p))));
  for (const d of otherBeacons.slice(0, 3)) findings.push(`Regular traffic to ${d.destination} (${d.count} × ~${d.interval_seconds}s, jitter ${Math.round((d.jitter ?? 0) * 100)}%) by ${listOf(d.processes.map(image), 2)}: not a case indicator, worth a look.`);
  if (toIndicator.length || toAnswers.length) findings.push(`Connections to the case's indicators after the trigger: ${[...toIndicator, ...toAnswers].map((d) => `${d.destination} ×${d.count}${d.beaconing ? " (beaconing)" : ""}`).join(", ")}.`);

  const networkSeen = aug.network.connections.length > 0;
  const dnsLookups = aug.dns_history.lookups;
  // Other hosts resolving the case's domains widen the scope.
  for (const summary of aug.dns_history.domains) {
    const others = summary.hosts.filter((h) => !caseHosts.some((c) => hostKey(c) === hostKey(h)));
    if (others.length) {
      for (const h of others) inv.probable.add(h);
      inv.add({ type: "spread", description: `${others.length} other host(s) resolved ${summary.domain}: ${listOf(others, 5)}.`, weight: "moderate", source_query: q(SOURCES.dns, `search_events QueryName=*${summary.domain}`), direction: "malicious", time: summary.first, phase: "scope", host: others[0]! });
    }
  }
  let refutes: string | null = null;
  const dnsFacts = a.facts.filter((f) => f.dns && f.domain);
  if (dnsFacts.length && toIndicator.length === 0 && toAnswers.length === 0) {
    const domains = uniqueCaseless(dnsFacts.map((f) => f.domain));
    const lookups = dnsLookups.filter((l) => domains.some((d) => l.query.toLowerCase() === d.toLowerCase() || l.query.toLowerCase().endsWith(`.${d.toLowerCase()}`)));
    const nx = dnsFacts.every((f) => f.dns!.resolved === false) && lookups.every((l) => !l.response_code || /NXDOMAIN/i.test(l.response_code));
    const repeatHosts = new Map<string, number>();
    for (const l of lookups) repeatHosts.set(hostKey(l.host), (repeatHosts.get(hostKey(l.host)) ?? 0) + 1);
    const repeated = [...repeatHosts.values()].some((n) => n > 2);
    if (lookups.length)
      inv.add({
        type: nx ? "dead_lookup" : "lookup_history",
        description: `${lookups.length} lookup(s) of ${listOf(domains, 3)} in the DNS logs${nx ? ", all NXDOMAIN" : ""}${repeated ? ", repeated" : ", not repeated"}.`,
        weight: nx && !repeated ? "moderate" : "weak",
        source_query: q(SOURCES.dns, `search_events QueryName=*${domains[0]}`),
        direction: nx && !repeated ? "benign" : "malicious",
        time: lookups[0]!.time,
        phase: "command-and-control",
        host: lookups[0]!.host,
      });
    if (networkSeen) {
      inv.add({
        type: "no_follow_up",
        description: `${aug.network.connections.length} connection(s) recorded for ${listOf(caseHosts, 3)} after the lookup, none to ${listOf(domains, 3)}${answers.size ? ` or its answers ${listOf([...answers], 3)}` : ""}.`,
        weight: "moderate",
        source_query: q(SOURCES.network, `search_events connections of ${listOf(caseHosts, 2)} after ${shortTime(trigger)}`),
        direction: "benign",
        time: trigger,
        phase: "command-and-control",
        host: caseHosts[0] ?? null,
      });
      inv.ruledOut.push(`a connection to ${listOf(domains, 3)} after the lookup`);
      if (nx && !repeated) refutes = `${listOf(domains, 3)} never resolved (NXDOMAIN), the lookup was not repeated, and no connection followed it.`;
      else if (!repeated) refutes = `${listOf(domains, 3)} resolved but no connection to it or its answers followed within ${input.augmentation.window.after_minutes} minutes.`;
    }
  }
  if (!networkSeen) findings.push(aug.network.missing_telemetry.length ? `Network not checkable: ${listOf(aug.network.missing_telemetry, 2)}.` : "No connections recorded.");
  else findings.push(`${aug.network.connections.length} connection(s) to ${aug.network.destinations.length} destination(s) read for ${listOf(caseHosts, 3)}${aug.network.truncated ? " (capped)" : ""}.`);
  const issuers = uniqueCaseless(dnsLookups.filter((l) => caseHosts.some((h) => hostKey(h) === hostKey(l.host))).map((l) => l.process).filter((p) => p && !BROWSERS.has(image(p))));
  if (issuers.length) findings.push(`Lookups of the case's domains on its hosts issued by ${listOf(issuers.map(image), 3)} (not a browser).`);
  if (dnsLookups.length) findings.push(`DNS history: ${aug.dns_history.domains.map((d) => `${d.domain} ×${d.lookups} from ${d.hosts.length} host(s)`).join("; ")}.`);
  else if (entities.domains.length) findings.push(aug.dns_history.missing_telemetry.length ? `DNS history not available: ${listOf(aug.dns_history.missing_telemetry, 2)}.` : "No DNS lookups stored for the case's domains.");
  const outcome = toIndicator.length || toAnswers.length ? "active communication with case indicators" : refutes ? "no follow-up traffic" : networkSeen ? "no traffic to case indicators" : "network not observable";
  return { findings, outcome, refutes };
}
