import { evidenceSource, type EvidenceWeight, type VeraEvidence } from "../../../core/index.js";

// What every step of the deterministic VERA shares: the evidence gathered so far (`Investigation`), the
// evidence sources, and the process names the endpoint and network steps recognise.

export const DETERMINISTIC_VERA = "deterministic";

export const VERA_STEPS = ["Intake and scope", "Endpoint", "Network", "Logs and identity", "ATT&CK checklist", "Root cause and disposition"] as const;

/**
 * Evidence sources. Two items are independent when their sources differ: what the alert says (and what
 * its enrichment added) is one family of sources, each telemetry store the augmentation read is another.
 */
export const SOURCES = {
  alert: "alert",
  intel: "intel",
  email: "email_context",
  identity: "identity",
  process: "process_tree",
  persistence: "events.persistence",
  network: "events.network",
  dns: "events.dns",
  auth: "events.auth",
  related: "related_alerts",
} as const;
export const TELEMETRY_SOURCES = new Set<string>([SOURCES.process, SOURCES.persistence, SOURCES.network, SOURCES.dns, SOURCES.auth, SOURCES.related]);

export const DOCUMENT_PARENTS = new Set([
  "winword.exe", "excel.exe", "powerpnt.exe", "outlook.exe", "onenote.exe", "msaccess.exe", "mspub.exe", "visio.exe",
  "acrord32.exe", "acrobat.exe", "chrome.exe", "msedge.exe", "firefox.exe", "iexplore.exe", "thunderbird.exe",
]);
export const INTERPRETERS = new Set([
  "powershell.exe", "pwsh.exe", "cmd.exe", "wscript.exe", "cscript.exe", "mshta.exe", "rundll32.exe", "regsvr32.exe",
  "certutil.exe", "bitsadmin.exe", "msbuild.exe", "installutil.exe", "bash", "sh", "python.exe", "python", "curl", "wget",
]);
export const BROWSERS = new Set(["chrome.exe", "msedge.exe", "firefox.exe", "iexplore.exe", "safari", "brave.exe", "opera.exe"]);
export const EXECUTABLE_FILE = /\.(exe|dll|scr|ps1|vbs|js|hta|bat|cmd|lnk|so|elf|sh)$/i;

/** What a step returns: its findings, its outcome line, and why it refutes the hypothesis, if it does. */
export type StepResult = { findings: string[]; outcome: string; refutes: string | null };

export interface Item extends Omit<VeraEvidence, "id"> {
  direction: "malicious" | "benign";
  time: string | null;
  phase: string;
  host: string | null;
}

/** One investigation: the evidence gathered step by step, then the decision over it. */
export class Investigation {
  readonly items: Item[] = [];
  readonly ruledOut: string[] = [];
  readonly confirmed = new Set<string>();
  readonly probable = new Set<string>();

  add(item: Item): string {
    const existing = this.items.findIndex((i) => i.description === item.description && i.source_query === item.source_query);
    if (existing >= 0) return idOf(existing);
    this.items.push(item);
    return idOf(this.items.length - 1);
  }

  sources(direction: Item["direction"], minWeight: EvidenceWeight = "moderate"): Set<string> {
    const rank = { strong: 2, moderate: 1, weak: 0 } as const;
    return new Set(this.items.filter((i) => i.direction === direction && rank[i.weight] >= rank[minWeight]).map((i) => evidenceSource(i)));
  }

  has(direction: Item["direction"], type: string): boolean {
    return this.items.some((i) => i.direction === direction && i.type === type);
  }
}

export const idOf = (index: number) => `EVD-${String(index + 1).padStart(3, "0")}`;

export const hostKey = (h: string | null | undefined) => (h ? h.toLowerCase().split(".")[0]! : "");
export const image = (p: string | null | undefined) => (p ? p.split(/[\\/]/).pop()!.toLowerCase() : "");
export const q = (source: string, what: string) => `${source}: ${what}`;
