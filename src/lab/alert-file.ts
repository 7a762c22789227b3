import { ValidationError } from "../core/index.js";
import { flatRecordToGeneric, formatFromName, normaliseAlert, openRecords, type FieldMap } from "../ingest/index.js";
import type { AlertFile, AlertTruth } from "./schema.js";

/** One record of an external alert file: the alert the crew sees (labels stripped) and the answer kept aside. */
export interface LabelledAlert {
  timeMs: number;
  input: Record<string, unknown>;
  record: number;
  truth: AlertTruth;
}

/** The incident of malicious rows that name no phase. */
export const FILE_INCIDENT = "attack";

function text(value: unknown): string {
  return value === undefined || value === null ? "" : String(value).trim();
}

/**
 * Reads an external alert file with the `ingest alerts --map` semantics. The label columns (truth column,
 * phase column, `strip`) are taken out of every record BEFORE it is mapped, so no label ever reaches the
 * alert (not even as an unmapped field). Every record is validated; a bad one is named and nothing runs.
 * The file is read whole (records are replayed in time order).
 */
export async function readLabelledAlerts(file: AlertFile & { resolved: string; fieldMap: FieldMap | undefined }, at: string): Promise<LabelledAlert[]> {
  const format = file.format ?? formatFromName(file.resolved);
  if (!format) throw new ValidationError(`${at}: cannot tell the format of ${file.resolved}`, [{ path: `${at}.format`, message: "give csv, ndjson or json" }]);
  const labels = [file.truth.column, file.truth.phase_column, ...file.truth.strip].filter((c): c is string => !!c);
  const benign = new Set(file.truth.benign);
  const out: LabelledAlert[] = [];
  const issues: { path: string; message: string }[] = [];
  const reader = await openRecords(file.resolved, format);
  for await (const record of reader.records) {
    const where = `${at} record[${record.record}]`;
    if (record.error !== undefined || !record.value || typeof record.value !== "object" || Array.isArray(record.value)) {
      if (issues.length < 20) issues.push({ path: where, message: record.error ?? "not an object" });
      continue;
    }
    const row = { ...(record.value as Record<string, unknown>) };
    if (record.record === 1)
      for (const column of [file.truth.column, file.truth.phase_column].filter((c): c is string => !!c))
        if (!(column in row)) issues.push({ path: `${at}.truth`, message: `label column "${column}" is not in the file (columns: ${Object.keys(row).join(", ")})` });
    const label = text(row[file.truth.column]);
    const phase = file.truth.phase_column ? text(row[file.truth.phase_column]) : "";
    for (const column of labels) delete row[column];
    const input = file.fieldMap || format === "csv" ? flatRecordToGeneric(row, file.fieldMap).alert : row;
    const result = normaliseAlert(input, { id: "validation", receivedAt: new Date(0).toISOString(), origin: { via: "file", file: file.resolved, record: record.record } });
    if (!result.ok) {
      for (const i of result.issues.slice(0, 2)) if (issues.length < 20) issues.push({ path: `${where}.${i.path}`, message: i.message });
      continue;
    }
    const malicious = !benign.has(label);
    out.push({
      timeMs: Date.parse(result.alert.time),
      input,
      record: record.record,
      truth: { malicious, ...(malicious ? { incident: phase || FILE_INCIDENT } : {}) },
    });
  }
  if (issues.length) {
    const head = issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join("; ");
    throw new ValidationError(`${file.resolved}: ${head}${issues.length > 3 ? "; …" : ""}`, issues);
  }
  return out;
}
