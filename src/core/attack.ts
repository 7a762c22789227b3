/**
 * The MITRE ATT&CK Enterprise tactics: one table for every input and output. Sources spell a tactic many
 * ways — Sigma tags `attack.defense-evasion`, Wazuh `Defense Evasion`, Suricata `Command_And_Control`,
 * Elastic `Command and Control`, OCSF `TA0011` — and they must count as one tactic in alerts, cases and
 * exports: the canonical name (as ATT&CK writes it) plus the id.
 */

export interface Tactic {
  id: string;
  /** The name as ATT&CK writes it: `Command and Control`. */
  name: string;
  /** The ATT&CK short name, also Sigma's tag: `command-and-control`. */
  shortname: string;
}

export const TACTICS: readonly Tactic[] = [
  { id: "TA0043", name: "Reconnaissance", shortname: "reconnaissance" },
  { id: "TA0042", name: "Resource Development", shortname: "resource-development" },
  { id: "TA0001", name: "Initial Access", shortname: "initial-access" },
  { id: "TA0002", name: "Execution", shortname: "execution" },
  { id: "TA0003", name: "Persistence", shortname: "persistence" },
  { id: "TA0004", name: "Privilege Escalation", shortname: "privilege-escalation" },
  { id: "TA0005", name: "Defense Evasion", shortname: "defense-evasion" },
  { id: "TA0006", name: "Credential Access", shortname: "credential-access" },
  { id: "TA0007", name: "Discovery", shortname: "discovery" },
  { id: "TA0008", name: "Lateral Movement", shortname: "lateral-movement" },
  { id: "TA0009", name: "Collection", shortname: "collection" },
  { id: "TA0011", name: "Command and Control", shortname: "command-and-control" },
  { id: "TA0010", name: "Exfiltration", shortname: "exfiltration" },
  { id: "TA0040", name: "Impact", shortname: "impact" },
];

/** `Command_And_Control`, `attack.command-and-control`, ` command and control ` → `command and control`. */
function lookupKey(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/^attack\./, "")
    .replace(/[\s_-]+/g, " ")
    .trim();
}

const BY_KEY = new Map<string, Tactic>();
for (const tactic of TACTICS) {
  BY_KEY.set(tactic.id.toLowerCase(), tactic);
  BY_KEY.set(lookupKey(tactic.name), tactic);
  BY_KEY.set(lookupKey(tactic.shortname), tactic);
}

/** The tactic a name, short name, Sigma tag or id stands for; undefined when it is none of the table. */
export function tacticOf(text: string): Tactic | undefined {
  return BY_KEY.get(lookupKey(text));
}

/**
 * Tactics as canonical names (in first-seen order, each once) with their ids beside. A value the table
 * does not know is kept as given (trimmed, once), without an id: unknown is shown, never guessed.
 */
export function normaliseTactics(values: readonly string[]): { tactics: string[]; tactic_ids: string[] } {
  const tactics: string[] = [];
  const ids: string[] = [];
  for (const value of values) {
    const known = tacticOf(value);
    const name = known ? known.name : value.trim();
    if (!name || tactics.includes(name)) continue;
    tactics.push(name);
    if (known) ids.push(known.id);
  }
  return { tactics, tactic_ids: ids };
}

/** The ids of the known tactics among these values, each once, in order. */
export function tacticIds(values: readonly string[]): string[] {
  return normaliseTactics(values).tactic_ids;
}
