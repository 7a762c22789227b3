import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { ValidationError } from "../core/index.js";
import { validateContext, type ContextData } from "../context/index.js";
import { normaliseAlert, parseMapOption, type FieldMap } from "../ingest/index.js";
import { Pack, PACK_FORMAT, type AlertFile, type AlertTruth, type Incident, type LearnFrom } from "./schema.js";

type Issue = { path: string; message: string };

/** One timeline entry, resolved: its replay time, and the alert (time filled in) or the log path. */
export interface ResolvedEntry {
  index: number;
  timeMs: number;
  alert?: Record<string, unknown>;
  logs?: string;
  truth: AlertTruth;
}

export interface LoadedPack {
  file: string;
  dir: string;
  pack: Pack;
  context: ContextData;
  /** Timeline entries in replay order (time, then file order). */
  entries: ResolvedEntry[];
  alertFiles: (AlertFile & { resolved: string; fieldMap: FieldMap | undefined })[];
  learnFrom: (LearnFrom & { resolved: string; fieldMap: FieldMap | undefined })[];
  incidents: Map<string, Incident>;
  stepMs: number;
}

export interface LoadPackOptions {
  /** Where external alert and learn_from files are looked up first (`eval --data DIR`); then beside the pack. */
  dataDir?: string;
}

export const DEFAULT_STEP_MS = 60_000;

/** `timeline[3].alert.severity` from a zod or our own path. */
export function formatIssuePath(parts: readonly PropertyKey[]): string {
  let out = "";
  for (const part of parts) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Seconds, or `90s`, `5m`, `1h30m`, `2d` (schema-checked before) → milliseconds. */
export function offsetMs(offset: number | string): number {
  if (typeof offset === "number") return offset * 1000;
  const match = /^\+?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(offset);
  if (!match) throw new Error(`not an offset: ${offset}`);
  const [, d, h, m, s] = match;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

function parsePackText(text: string, file: string): unknown {
  try {
    return /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`${file}: not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${message}`, [{ path: "(file)", message }]);
  }
}

function resolveData(p: string, dir: string, dataDir: string | undefined): string {
  if (path.isAbsolute(p)) return p;
  if (dataDir) {
    const candidate = path.resolve(dataDir, p);
    if (existsSync(candidate)) return candidate;
  }
  return path.resolve(dir, p);
}

function fieldMap(map: string | Record<string, string> | undefined, at: string, issues: Issue[]): FieldMap | undefined {
  if (map === undefined) return undefined;
  const text = typeof map === "string" ? map : Object.entries(map).map(([target, source]) => `${target}=${source}`).join(",");
  try {
    return parseMapOption(text);
  } catch (error) {
    if (error instanceof ValidationError) for (const i of error.issues) issues.push({ path: `${at}.${i.path}`, message: i.message });
    else throw error;
    return undefined;
  }
}

/** Validates a parsed pack; every problem is reported with its path, and nothing is run on a bad pack. */
export function validatePack(data: unknown, file: string, options: LoadPackOptions = {}): LoadedPack {
  const dir = path.dirname(path.resolve(file));
  if (data && typeof data === "object" && "format" in data && (data as { format: unknown }).format !== PACK_FORMAT)
    throw new ValidationError(`${file}: format must be "${PACK_FORMAT}"`, [{ path: "format", message: `expected "${PACK_FORMAT}", got ${JSON.stringify((data as { format: unknown }).format)}` }]);
  const parsed = Pack.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path) || "(root)", message: i.message }));
    throw invalid(file, issues);
  }
  const pack = parsed.data;
  const issues: Issue[] = [];

  let context: ContextData = { assets: [], identities: [], indicators: [], suppressions: [], subnets: [] };
  try {
    context = validateContext(pack.context);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const i of error.issues) issues.push({ path: `context.${i.path}`, message: i.message });
  }

  const incidents = new Map<string, Incident>();
  pack.incidents.forEach((incident, i) => {
    if (incidents.has(incident.id)) issues.push({ path: `incidents[${i}].id`, message: `duplicate incident id "${incident.id}"` });
    incidents.set(incident.id, incident);
  });
  const checkTruth = (truth: AlertTruth, at: string) => {
    if (truth.incident === undefined) return;
    const incident = incidents.get(truth.incident);
    if (!incident) issues.push({ path: `${at}.incident`, message: `no incident "${truth.incident}" in incidents` });
    else if (incident.malicious !== truth.malicious)
      issues.push({ path: `${at}.malicious`, message: `incident "${incident.id}" is ${incident.malicious ? "malicious" : "benign"}` });
  };

  const startMs = pack.start ? Date.parse(pack.start) : undefined;
  const entries: ResolvedEntry[] = [];
  pack.timeline.forEach((entry, index) => {
    const at = `timeline[${index}]`;
    checkTruth(entry.truth, `${at}.truth`);
    let timeMs: number | undefined;
    if (entry.at !== undefined) {
      if (startMs === undefined) issues.push({ path: `${at}.at`, message: "a relative offset needs the pack's start" });
      else timeMs = startMs + offsetMs(entry.at);
    } else if (entry.time !== undefined) timeMs = Date.parse(entry.time);
    if (entry.logs !== undefined) {
      const logs = path.resolve(dir, entry.logs);
      if (!existsSync(logs)) issues.push({ path: `${at}.logs`, message: `no such file or folder: ${logs}` });
      if (timeMs === undefined) issues.push({ path: at, message: "a logs entry needs at or time" });
      else entries.push({ index, timeMs, logs, truth: entry.truth });
      return;
    }
    const alert: Record<string, unknown> = { ...entry.alert };
    if (timeMs !== undefined) alert.time = new Date(timeMs).toISOString();
    const result = normaliseAlert(alert, { id: "validation", receivedAt: new Date(0).toISOString(), origin: { via: "file", file, record: index + 1 } });
    if (!result.ok) {
      for (const i of result.issues) issues.push({ path: `${at}.alert${i.path.startsWith("[") || !i.path ? "" : "."}${i.path}`, message: i.message });
      return;
    }
    if (timeMs === undefined) {
      if (typeof entry.alert?.time !== "string") {
        issues.push({ path: at, message: "an alert entry needs at, time or alert.time" });
        return;
      }
      timeMs = Date.parse(result.alert.time);
    }
    entries.push({ index, timeMs, alert, truth: entry.truth });
  });
  entries.sort((a, b) => a.timeMs - b.timeMs || a.index - b.index);

  const alertFiles = pack.alert_files.map((f, i) => {
    const resolved = resolveData(f.path, dir, options.dataDir);
    if (!existsSync(resolved) || !statSync(resolved).isFile()) issues.push({ path: `alert_files[${i}].path`, message: `no such file: ${resolved}` });
    const map = fieldMap(f.map, `alert_files[${i}].map`, issues);
    const labels = [f.truth.column, f.truth.phase_column, ...f.truth.strip].filter((c): c is string => !!c);
    for (const [target, source] of Object.entries(map ?? {}))
      if (labels.includes(source)) issues.push({ path: `alert_files[${i}].map.${target}`, message: `"${source}" is a label column: it is stripped, never shown to the crew` });
    return { ...f, resolved, fieldMap: map };
  });
  const learnFrom = pack.learn_from.map((f, i) => {
    const resolved = resolveData(f.path, dir, options.dataDir);
    if (!existsSync(resolved)) issues.push({ path: `learn_from[${i}].path`, message: `no such file: ${resolved}` });
    return { ...f, resolved, fieldMap: fieldMap(f.map, `learn_from[${i}].map`, issues) };
  });
  if (pack.timeline.length === 0 && pack.alert_files.length === 0) issues.push({ path: "timeline", message: "a pack needs a timeline or alert_files" });

  if (issues.length) throw invalid(file, issues);
  return {
    file: path.resolve(file),
    dir,
    pack,
    context,
    entries,
    alertFiles,
    learnFrom,
    incidents,
    stepMs: pack.step === undefined ? DEFAULT_STEP_MS : Math.max(1, offsetMs(pack.step)),
  };
}

function invalid(file: string, issues: Issue[]): ValidationError {
  const head = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join("; ");
  return new ValidationError(`invalid pack ${file}: ${head}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ""}`, issues);
}

/** Reads and validates a pack file (`.yaml`, `.yml` or `.json`). */
export function loadPack(file: string, options: LoadPackOptions = {}): LoadedPack {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ValidationError(`cannot read pack ${file}: ${(error as Error).message}`, [{ path: "(file)", message: (error as Error).message }]);
  }
  return validatePack(parsePackText(text, file), file, options);
}

const PACK_FILE = /\.(?:ya?ml|json)$/i;

/** The pack files named: files as given, folders searched (not recursively) for `.yaml`/`.yml`/`.json` packs. */
export function packFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new ValidationError(`no such pack file or folder: ${p}`, [{ path: p, message: "no such file or folder" }]);
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (PACK_FILE.test(name) && !name.endsWith(".schema.json")) out.push(path.join(p, name));
    } else out.push(p);
  }
  return out;
}
