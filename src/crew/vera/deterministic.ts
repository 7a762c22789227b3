import type { TraceStep, VeraOutput } from "../../core/index.js";
import { assessCase } from "../assessment/assessment.js";
import { uniqueCaseless } from "../assessment/text.js";
import { caseEntities } from "./augment.js";
import { attackChecklist } from "./deterministic/attack-checklist.js";
import { dispositionStep } from "./deterministic/disposition.js";
import { endpointStep } from "./deterministic/endpoint.js";
import { intakeStep } from "./deterministic/intake.js";
import { Investigation, VERA_STEPS } from "./deterministic/investigation.js";
import { logsStep } from "./deterministic/logs.js";
import { networkStep } from "./deterministic/network.js";
import type { VeraInput } from "./schema.js";

// The deterministic VERA: the six steps of crew.md, one file each in `deterministic/`.

export { DETERMINISTIC_VERA, SOURCES, VERA_STEPS } from "./deterministic/investigation.js";

/**
 * VERA without a language model: the six steps of crew.md over structured fields only. Alert and event
 * text (titles, command lines, subjects, file names) is quoted as data and never read as a judgement.
 */
export function investigateDeterministic(input: VeraInput, now: string): VeraOutput {
  const tora = input.tora.output;
  const a = assessCase({ caseId: input.case_id, alerts: input.alerts, now });
  const entities = caseEntities(input.alerts, tora);
  const inv = new Investigation();
  const trace: TraceStep[] = [];
  const caseHosts = uniqueCaseless([...a.hosts, ...entities.hosts]);
  for (const h of a.hosts) inv.confirmed.add(h);

  // ——— 1. Intake and scope ———
  const intake = intakeStep(inv, input, a, entities, caseHosts);
  trace.push({ step: 1, name: VERA_STEPS[0], findings: intake, outcome: `${a.facts.length} alert(s), ${caseHosts.length} host(s) in scope` });

  // ——— 2. Endpoint ———
  const endpoint = endpointStep(inv, input, a, entities);
  trace.push({ step: 2, name: VERA_STEPS[1], findings: endpoint.findings, outcome: endpoint.outcome });

  // ——— 3. Network ———
  const network = networkStep(inv, input, a, entities, caseHosts);
  trace.push({ step: 3, name: VERA_STEPS[2], findings: network.findings, outcome: network.outcome });

  // ——— 4. Logs and identity ———
  const logs = logsStep(inv, input, a, caseHosts);
  trace.push({ step: 4, name: VERA_STEPS[3], findings: logs.findings, outcome: logs.outcome });

  // ——— 5. ATT&CK checklist ———
  const checklist = attackChecklist(inv, input);
  trace.push({ step: 5, name: VERA_STEPS[4], findings: checklist, outcome: `${checklist.filter((c) => c.includes("observed (")).length} tactic(s) observed` });

  // ——— 6. Root cause and disposition ———
  return dispositionStep(inv, input, a, entities, caseHosts, trace, { endpoint, network, logs, checklist });
}
