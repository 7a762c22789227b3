import type { CaseAssessment } from "../../assessment/assessment.js";
import { listOf, quote, shortTime, uniqueCaseless } from "../../assessment/text.js";
import type { CaseEntities } from "../augment.js";
import type { ProcessNodeDigest, VeraInput } from "../schema.js";
import { BROWSERS, DOCUMENT_PARENTS, EXECUTABLE_FILE, INTERPRETERS, SOURCES, image, q, type Investigation } from "./investigation.js";

// Step 2, endpoint: the process tree of each alert (document parent → interpreter, vendor-signed binaries),
// persistence and dropped executables.

export function endpointStep(inv: Investigation, input: VeraInput, a: CaseAssessment, entities: CaseEntities): { findings: string[]; outcome: string; refutes: string | null } {
  const aug = input.augmentation;
  const findings: string[] = [];
  let refutes: string | null = null;
  let suspicious = 0;
  for (const tree of aug.process_trees.trees) {
    const treeQuery = q(SOURCES.process, aug.process_trees.queries.find((x) => x.source === "process_tree" && x.args.host === tree.host) ? `process_tree host=${tree.host}` : tree.host);
    const targetIndex = tree.nodes.findIndex((n) => n.is_target);
    const target = tree.nodes[targetIndex] ?? tree.nodes[tree.nodes.length - 1]!;
    const ancestors = ancestorsOf(tree.nodes, targetIndex < 0 ? tree.nodes.length - 1 : targetIndex);
    const children = descendantsOf(tree.nodes, targetIndex < 0 ? tree.nodes.length - 1 : targetIndex);
    const chain = [...ancestors, target].map((n) => image(n.process) || "?").join(" → ");
    findings.push(`Process tree on ${tree.host}: ${chain}${children.length ? `; children: ${listOf(children.map((c) => image(c.process)), 5)}` : "; no children"}.`);
    const documentParent = ancestors.find((n) => DOCUMENT_PARENTS.has(image(n.process)));
    const interpreters = [target, ...children].filter((n) => INTERPRETERS.has(image(n.process)));
    if (documentParent && interpreters.length) {
      suspicious++;
      inv.add({
        type: "malicious_execution",
        description: `${image(documentParent.process)} is an ancestor of ${listOf(uniqueCaseless(interpreters.map((n) => image(n.process))), 3)} on ${tree.host} (${quote(interpreters[0]!.command_line, 160)}).`,
        weight: "strong",
        source_query: treeQuery,
        direction: "malicious",
        time: interpreters[0]!.time,
        phase: "exploitation",
        host: tree.host,
      });
    } else if (children.some((c) => INTERPRETERS.has(image(c.process)) && !BROWSERS.has(image(target.process)))) {
      suspicious++;
      const child = children.find((c) => INTERPRETERS.has(image(c.process)))!;
      inv.add({ type: "child_interpreter", description: `${image(target.process)} started ${image(child.process)} on ${tree.host} (${quote(child.command_line, 160)}).`, weight: "moderate", source_query: treeQuery, direction: "malicious", time: child.time, phase: "execution", host: tree.host });
    }
    const f = a.facts.find((x) => x.alertId === tree.alert_id);
    const vendor = f?.process?.knownVendor ?? null;
    const signedByVendor = (target.signed === true && target.signer && vendorLike(target.signer)) || (f?.process?.signed === true && vendor);
    if (signedByVendor && !documentParent && children.every((c) => !INTERPRETERS.has(image(c.process)))) {
      const parent = ancestors[ancestors.length - 1];
      inv.add({
        type: "expected_lineage",
        description: `${image(target.process)} on ${tree.host} is signed by ${target.signer ?? vendor} and started by ${parent ? image(parent.process) : "no recorded parent"}, with no interpreter or script child.`,
        weight: "moderate",
        source_query: treeQuery,
        direction: "benign",
        time: target.time,
        phase: "execution",
        host: tree.host,
      });
      refutes = `${image(target.process)} is a ${target.signer ?? vendor}-signed binary started by its expected parent (${parent ? image(parent.process) : "none"}), with no follow-on child process.`;
      inv.ruledOut.push(`a malicious process chain behind ${image(target.process)} on ${tree.host}`);
    }
  }
  // Absence is evidence only where the telemetry demonstrably exists: a process tree was read for the host.
  const treeHosts = aug.process_trees.trees.map((t) => t.host);
  if (refutes && treeHosts.length) {
    const processes = new Set(aug.process_trees.trees.flatMap((t) => t.nodes.map((n) => n.process?.toLowerCase() ?? "")));
    const talking = aug.network.connections.filter((c) => c.process && processes.has(c.process.toLowerCase()));
    if (aug.network.connections.length && talking.length === 0) {
      inv.add({ type: "no_follow_up", description: `No network connection by the process tree on ${listOf(treeHosts, 2)} among ${aug.network.connections.length} recorded.`, weight: "moderate", source_query: q(SOURCES.network, `search_events connections of ${listOf(treeHosts, 2)}`), direction: "benign", time: null, phase: "command-and-control", host: treeHosts[0]! });
      inv.ruledOut.push("outbound connections from the process tree");
    }
    if (aug.persistence.events.length === 0)
      inv.add({ type: "no_persistence", description: `No service, task, run key, account or dropped executable on ${listOf(treeHosts, 2)} in the window.`, weight: "moderate", source_query: q(SOURCES.persistence, `search_events host=${treeHosts[0]} event_id=7045,4697,4698,4720,4732,13,11`), direction: "benign", time: null, phase: "persistence", host: treeHosts[0]! });
  }
  for (const e of aug.persistence.events) {
    const id = e.event_id ?? "";
    const d = e.data;
    const what =
      id === "7045" || id === "4697"
        ? `service ${quote(String(d.ServiceName ?? d.ServiceFileName ?? "?"), 80)} installed`
        : id === "4698"
          ? `scheduled task ${quote(String(d.TaskName ?? "?"), 80)} created`
          : id === "13"
            ? `run key ${quote(String(d.TargetObject ?? "?"), 120)} set`
            : id === "4720"
              ? `account ${quote(String(d.TargetUserName ?? "?"), 60)} created`
              : id === "4732"
                ? `member added to group ${quote(String(d.TargetUserName ?? "?"), 60)}`
                : id === "11"
                  ? `file ${quote(String(d.TargetFilename ?? "?"), 120)} written`
                  : `event ${id}`;
    if (id === "11" && !EXECUTABLE_FILE.test(String(d.TargetFilename ?? ""))) continue;
    suspicious++;
    inv.add({
      type: id === "11" ? "dropped_file" : "persistence",
      description: `${e.host ?? "host"}: ${what}${e.process ? ` by ${image(e.process)}` : ""} at ${shortTime(e.time)}.`,
      weight: id === "11" ? "moderate" : "strong",
      source_query: q(SOURCES.persistence, `search_events host=${e.host ?? "?"} event_id=${id}`),
      direction: "malicious",
      time: e.time,
      phase: id === "11" ? "installation" : "persistence",
      host: e.host,
    });
  }
  const hashes = entities.hashes;
  if (aug.process_trees.trees.length === 0) findings.push(aug.process_trees.missing_telemetry.length ? `No process tree: ${listOf(aug.process_trees.missing_telemetry, 2)}.` : "No process alert in the case: no process tree to read.");
  if (aug.persistence.events.length === 0) {
    const missing = aug.persistence.missing_telemetry;
    if (missing.length) findings.push(`Persistence not checkable: ${listOf(missing, 2)}.`);
    else {
      findings.push("No service, scheduled task, run key, new account or dropped executable on the case's hosts in the window.");
      inv.ruledOut.push("persistence (services, scheduled tasks, run keys, new accounts) in the investigation window");
    }
  } else findings.push(`${aug.persistence.events.length} persistence/file event(s) in the window.`);
  if (hashes.length) findings.push(`Hashes in the case: ${listOf(hashes.map((h) => `${h.slice(0, 16)}…`), 3)}.`);
  return { findings, outcome: suspicious ? `${suspicious} suspicious endpoint finding(s)` : refutes ? "expected, signed process lineage" : "nothing suspicious on the endpoint", refutes };
}

export function vendorLike(signer: string): boolean {
  return /microsoft|google|apple|adobe|mozilla|oracle|vmware|cisco|intel|nvidia|citrix|zoom|dell|lenovo/i.test(signer);
}

export function ancestorsOf(nodes: ProcessNodeDigest[], index: number): ProcessNodeDigest[] {
  const out: ProcessNodeDigest[] = [];
  let depth = nodes[index]?.depth ?? 0;
  for (let i = index - 1; i >= 0 && depth > 0; i--) {
    if (nodes[i]!.depth === depth - 1) {
      out.unshift(nodes[i]!);
      depth--;
    }
  }
  return out;
}

export function descendantsOf(nodes: ProcessNodeDigest[], index: number): ProcessNodeDigest[] {
  const out: ProcessNodeDigest[] = [];
  const depth = nodes[index]?.depth ?? 0;
  for (let i = index + 1; i < nodes.length && nodes[i]!.depth > depth; i++) out.push(nodes[i]!);
  return out;
}
