import type { Alert } from "../../core/index.js";

/**
 * Attacker behaviour the alert's own content carries (crew.md step 3, revised): on any host, with or without
 * asset context, it carries an escalation. Read from structured fields — subtype, ATT&CK techniques and
 * tactics, and the detector's rule names for well-known Wazuh/Suricata/Sigma rules. Free text is
 * attacker-controlled: a rule title may only ADD a finding here (raise suspicion), and nothing in this file
 * can lower anything.
 *
 * | kind                 | subtype (normalised)                 | ATT&CK                                       | rule title (well-known rules)              |
 * |----------------------|--------------------------------------|----------------------------------------------|--------------------------------------------|
 * | webshell             | webshell, web_shell                  | T1505.003                                    | "web shell", "webshell"                    |
 * | reverse_shell        | reverse_shell                        | —                                            | "reverse shell"                            |
 * | privilege_escalation | privilege_escalation, priv_esc       | T1068, T1548 (.001–.004), tactic TA0004      | "sudo to root", "changed uid", "setuid"    |
 * | credential_access    | credential_(access|dump|theft)       | T1003, T1555, T1552, T1558, tactic TA0006    | "mimikatz", "lsass", "credential dump"     |
 * | exfiltration         | exfil*, dns_exfil*, dns_tunnel*      | T1041, T1048, T1567, T1572, tactic TA0010    | "exfiltration", "dns tunnel"               |
 * | c2                   | c2, command_and_control, beacon*     | —                                            | —                                          |
 *
 * Threat intel is not behaviour: it corroborates, it never rescues thin context (step 3).
 */
export type BehaviourKind = "webshell" | "reverse_shell" | "privilege_escalation" | "credential_access" | "exfiltration" | "c2";

export interface BehaviourFinding {
  kind: BehaviourKind;
  /** Which structured field said so: `subtype webshell`, `ATT&CK T1505.003`, `rule title "…"`. */
  via: string;
}

const SUBTYPES: [RegExp, BehaviourKind][] = [
  [/(^|_)web_?shell/, "webshell"],
  [/(^|_)reverse_?shell/, "reverse_shell"],
  [/(^|_)(privilege_escalation|priv_?esc)/, "privilege_escalation"],
  [/(^|_)credential_(access|dump|dumping|theft)/, "credential_access"],
  [/(^|_)(exfil|dns_exfil|dns_tunnel)/, "exfiltration"],
  [/(^|_)(c2|command_and_control|beacon)/, "c2"],
];

const TECHNIQUES: [RegExp, BehaviourKind][] = [
  [/^T1505\.003$/, "webshell"],
  [/^T1068$|^T1548(\.00[1-4])?$/, "privilege_escalation"],
  [/^T1003(\.\d{3})?$|^T1555(\.\d{3})?$|^T1552(\.\d{3})?$|^T1558(\.\d{3})?$/, "credential_access"],
  [/^T1041$|^T1048(\.\d{3})?$|^T1567(\.\d{3})?$|^T1572$/, "exfiltration"],
];

const TACTICS: [RegExp, BehaviourKind][] = [
  [/^(ta0004|privilege[\s_-]*escalation)$/, "privilege_escalation"],
  [/^(ta0006|credential[\s_-]*access)$/, "credential_access"],
  [/^(ta0010|exfiltration)$/, "exfiltration"],
];

/** Names of well-known detector rules; matched on the rule title only, to raise and never to lower. */
const RULE_TITLES: [RegExp, BehaviourKind][] = [
  [/\bweb ?shell\b/i, "webshell"],
  [/\breverse shell\b/i, "reverse_shell"],
  [/\bsudo to root\b|\bchanged uid\b|\bsetuid\b/i, "privilege_escalation"],
  [/\bmimikatz\b|\blsass\b.*\b(dump|access)|\bcredential dump/i, "credential_access"],
  [/\bexfiltrat|\bdns tunnel/i, "exfiltration"],
];

export function attackerBehaviour(alert: Alert, subtype: string): BehaviourFinding[] {
  const out: BehaviourFinding[] = [];
  const add = (kind: BehaviourKind, via: string) => {
    if (!out.some((f) => f.kind === kind)) out.push({ kind, via });
  };
  for (const [pattern, kind] of SUBTYPES) if (pattern.test(subtype)) add(kind, `subtype ${subtype}`);
  for (const technique of alert.attack.techniques) {
    const t = technique.trim().toUpperCase();
    for (const [pattern, kind] of TECHNIQUES) if (pattern.test(t)) add(kind, `ATT&CK ${t}`);
  }
  for (const tactic of alert.attack.tactics) {
    const t = tactic.trim().toLowerCase();
    for (const [pattern, kind] of TACTICS) if (pattern.test(t)) add(kind, `ATT&CK tactic ${tactic}`);
  }
  const title = alert.rule?.title ?? null;
  if (title) for (const [pattern, kind] of RULE_TITLES) if (pattern.test(title)) add(kind, `rule title "${title.slice(0, 120)}"`);
  return out;
}
