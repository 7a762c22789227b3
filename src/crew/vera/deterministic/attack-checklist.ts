import type { VeraInput } from "../schema.js";
import { idOf, type Investigation } from "./investigation.js";

// Step 5, the ATT&CK checklist: per tactic, observed (with evidence ids), not observed, or not visible.

const CHECKLIST: { tactic: string; types: string[]; needs: ("edr" | "network" | "auth")[] }[] = [
  { tactic: "Initial access", types: ["credentials_submitted", "phishing_page_loaded", "bruteforce_success"], needs: [] },
  { tactic: "Execution", types: ["malicious_execution", "child_interpreter"], needs: ["edr"] },
  { tactic: "Persistence", types: ["persistence"], needs: ["edr"] },
  { tactic: "Privilege escalation", types: ["privileged_logon"], needs: ["auth"] },
  { tactic: "Credential access", types: ["credentials_submitted", "bruteforce_success", "identity_anomaly"], needs: ["auth"] },
  { tactic: "Lateral movement", types: ["lateral_movement"], needs: ["auth"] },
  { tactic: "Command and control", types: ["c2_connection", "beaconing"], needs: ["network"] },
  { tactic: "Exfiltration", types: ["exfiltration"], needs: ["network"] },
];

export function attackChecklist(inv: Investigation, input: VeraInput): string[] {
  const aug = input.augmentation;
  const observable = {
    edr: aug.process_trees.trees.length > 0 || aug.persistence.missing_telemetry.length === 0,
    network: aug.network.connections.length > 0,
    auth: aug.authentication.events.length > 0,
  };
  return CHECKLIST.map(({ tactic, types, needs }) => {
    const ids = inv.items.map((item, i) => ({ item, id: idOf(i) })).filter(({ item }) => item.direction === "malicious" && types.includes(item.type)).map(({ id }) => id);
    if (ids.length) return `${tactic}: observed (${ids.join(", ")}).`;
    const blind = needs.filter((n) => !observable[n]);
    return blind.length ? `${tactic}: not checkable (no ${blind.join("/")} telemetry).` : `${tactic}: not observed.`;
  });
}
