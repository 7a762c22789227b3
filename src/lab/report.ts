import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { EvalResult, PackResult } from "./eval.js";
import type { TierMatrix } from "./score.js";

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(1)} %`);
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

const SERIES = [
  { key: "incident_recall", label: "incident recall", color: "#1f6feb" },
  { key: "alert_recall", label: "alert recall", color: "#8957e5" },
  { key: "benign_auto_closed", label: "benign auto-closed", color: "#2da44e" },
  { key: "escalation_precision", label: "escalation precision", color: "#bf8700" },
] as const;

/** A grouped bar chart, one group per pack plus the total, one bar per headline share (hand-written SVG). */
export function renderChart(result: EvalResult): string {
  const groups: { name: string; values: (number | null)[]; failed: boolean }[] = [
    ...result.packs.map((p) => ({ name: p.name, values: SERIES.map((s) => p[s.key]), failed: p.failed })),
    { name: "all packs", values: SERIES.map((s) => result[s.key]), failed: result.malicious_incidents_closed > 0 },
  ];
  const bar = 12;
  const gap = 18;
  const groupWidth = SERIES.length * bar + gap;
  const left = 40;
  const top = 40;
  const plotHeight = 200;
  const width = left + groups.length * groupWidth + 20;
  const height = top + plotHeight + 130;
  const y = (v: number) => top + plotHeight - v * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>Nightshift eval: headline shares per pack</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(tick)}" y2="${y(tick)}" stroke="#d0d7de" stroke-width="1"/>`);
    parts.push(`<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end" fill="#57606a">${tick * 100}%</text>`);
  }
  groups.forEach((g, i) => {
    const x0 = left + i * groupWidth + gap / 2;
    g.values.forEach((v, j) => {
      if (v === null) return;
      const h = Math.max(1, v * plotHeight);
      parts.push(`<rect x="${x0 + j * bar}" y="${y(v)}" width="${bar - 2}" height="${h}" fill="${SERIES[j]!.color}"><title>${esc(`${g.name}: ${SERIES[j]!.label} ${pct(v)}`)}</title></rect>`);
    });
    const lx = x0 + (SERIES.length * bar) / 2;
    const ly = top + plotHeight + 12;
    parts.push(`<text x="${lx}" y="${ly}" transform="rotate(40 ${lx} ${ly})" fill="${g.failed ? "#cf222e" : "#24292f"}">${esc(g.name)}${g.failed ? " ✗" : ""}</text>`);
  });
  SERIES.forEach((s, j) => {
    const x = left + j * 150;
    parts.push(`<rect x="${x}" y="12" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="21" fill="#24292f">${s.label}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function matrixTable(m: TierMatrix, title: string): string[] {
  const labels = m.labels;
  const lines = [`**${title}** (cases; rows: truth or expected verdict, columns: the verdict given)`, "", `| | ${labels.join(" | ")} |`, `|---|${labels.map(() => "---:").join("|")}|`];
  for (const [name, row] of [["malicious", m.by_truth.malicious], ["benign", m.by_truth.benign]] as const) lines.push(`| ${name} | ${labels.map((l) => row[l] ?? 0).join(" | ")} |`);
  for (const [expected, row] of Object.entries(m.by_expected)) lines.push(`| expected ${expected} | ${labels.map((l) => row[l] ?? 0).join(" | ")} |`);
  lines.push("", `Agreement with the expected verdict: ${m.agreed} of ${m.judged} cases.`, "");
  return lines;
}

function packSection(p: PackResult): string[] {
  const lines = [
    `### ${p.name}${p.failed ? " — FAILED: a malicious incident ended closed" : ""}`,
    "",
    cell(p.title),
    "",
    `${p.counts.alerts} alerts (${p.counts.malicious_alerts} malicious), ${p.counts.cases} cases; incident recall ${pct(p.incident_recall)}, alert recall ${pct(p.alert_recall)}, benign auto-closed ${pct(p.benign_auto_closed)}, escalation precision ${pct(p.escalation_precision)}; ${p.time.wall_ms} ms.`,
    "",
    "| incident | alerts | caught | closed | priority | technique named |",
    "|---|---:|---|---|---|---|",
  ];
  for (const i of p.incidents)
    lines.push(`| ${cell(i.title)} | ${i.alerts} | ${i.caught ? "yes" : "**no**"} | ${i.closed ? "**yes**" : "no"} | ${i.priority ?? "–"} | ${i.techniques_named === null ? "–" : i.techniques_named ? "yes" : "no"} |`);
  if (p.containment.missing.length) lines.push("", `Missing containment: ${p.containment.missing.map((m) => `${m.action} ${m.target} (${m.incident})`).join("; ")}.`);
  if (p.containment.wrong.length) lines.push("", `Wrong containment: ${p.containment.wrong.map((w) => `${w.action} ${w.target} on ${w.case} (${w.why})`).join("; ")}.`);
  if (p.silent_logs.length) lines.push("", `Raw-log entries that raised no alert: timeline ${p.silent_logs.map((i) => `[${i}]`).join(", ")}.`);
  if (p.learn_from.note) lines.push("", p.learn_from.note + ".");
  lines.push("");
  return lines;
}

export function renderMarkdown(result: EvalResult, chartFile: string): string {
  const lines = [
    "# Nightshift eval report",
    "",
    `Analyst: ${result.analyst}. Packs: ${result.packs.length}. Malicious incidents ended closed: **${result.malicious_incidents_closed}**${result.failed_packs.length ? ` (${result.failed_packs.join(", ")})` : ""}.`,
    "",
    `![headline shares per pack](${chartFile})`,
    "",
    "| figure | value |",
    "|---|---:|",
    `| incident recall | ${pct(result.incident_recall)} |`,
    `| alert recall | ${pct(result.alert_recall)} |`,
    `| benign alerts auto-closed or suppressed | ${pct(result.benign_auto_closed)} |`,
    `| escalation precision | ${pct(result.escalation_precision)} |`,
    `| alerts per case | ${result.alerts_per_case ?? "–"} |`,
    `| containment expected / missing / wrong | ${result.containment.expected} / ${result.containment.missing} / ${result.containment.wrong} |`,
    `| crew time per case | ${result.time.crew_ms_per_case ?? "–"} ms |`,
    `| tokens per case | ${result.tokens.per_case ?? "–"} |`,
    "",
    `TORA hypothesis outcomes (VERA): malicious cases ${JSON.stringify(result.hypotheses.malicious)}, benign cases ${JSON.stringify(result.hypotheses.benign)}.`,
    "",
  ];
  if (result.baseline) {
    lines.push(`## Against the baseline ${cell(result.baseline.file)}`, "", "| figure | before | after | change |", "|---|---:|---:|---:|");
    for (const [k, c] of Object.entries(result.baseline.totals)) lines.push(`| ${k} | ${c.before ?? "–"} | ${c.after ?? "–"} | ${c.delta === null ? "–" : c.delta > 0 ? `+${c.delta}` : c.delta} |`);
    lines.push("");
  }
  lines.push("## Tiers", "", ...matrixTable(result.tiers.tora, "TORA"), ...matrixTable(result.tiers.vera, "VERA (cases TORA escalated)"), "## Packs", "");
  for (const p of result.packs) lines.push(...packSection(p));
  return lines.join("\n");
}

/** Writes `report.md` and `chart.svg` into `dir`; returns the report's path. */
export function writeReport(result: EvalResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "chart.svg"), renderChart(result));
  const file = path.join(dir, "report.md");
  writeFileSync(file, renderMarkdown(result, "chart.svg"));
  return file;
}
