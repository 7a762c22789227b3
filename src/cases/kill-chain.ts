/**
 * ATT&CK enterprise tactics in kill-chain order, by id and by name (any spelling: `defense-evasion`,
 * `Defense Evasion`, `defense_evasion`, `TA0005`), for grouping alerts of one attack into one incident.
 */
const TACTICS: readonly [string, string][] = [
  ["TA0043", "reconnaissance"],
  ["TA0042", "resource development"],
  ["TA0001", "initial access"],
  ["TA0002", "execution"],
  ["TA0003", "persistence"],
  ["TA0004", "privilege escalation"],
  ["TA0005", "defense evasion"],
  ["TA0006", "credential access"],
  ["TA0007", "discovery"],
  ["TA0008", "lateral movement"],
  ["TA0009", "collection"],
  ["TA0011", "command and control"],
  ["TA0010", "exfiltration"],
  ["TA0040", "impact"],
];

const STAGE = new Map<string, number>();
TACTICS.forEach(([id, name], index) => {
  STAGE.set(id.toLowerCase(), index);
  STAGE.set(name, index);
});

/** The kill-chain stage of a tactic (0 = reconnaissance … 13 = impact), or null for an unknown one. */
export function tacticStage(tactic: string): number | null {
  const key = tactic
    .trim()
    .toLowerCase()
    .replace(/[-_\s]+/g, " ");
  return STAGE.get(key) ?? null;
}

/** The lowest and highest stage among tactics, or null when none is known. */
export function stageRange(tactics: readonly string[]): { min: number; max: number } | null {
  const stages = tactics.map(tacticStage).filter((s): s is number => s !== null);
  return stages.length ? { min: Math.min(...stages), max: Math.max(...stages) } : null;
}

/**
 * Whether an alert continues an incident along the kill chain: both carry known tactics and the alert
 * reaches at least the incident's earliest stage (an attack moves forward; repeating a stage counts).
 */
export function continuesKillChain(incident: readonly string[], alert: readonly string[]): boolean {
  const before = stageRange(incident);
  const next = stageRange(alert);
  return before !== null && next !== null && next.max >= before.min;
}
