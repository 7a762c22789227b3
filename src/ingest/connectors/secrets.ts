import { readFileSync } from "node:fs";

/**
 * `${NAME}` references in connector settings, resolved from the environment first, then from the
 * secrets file. Resolved values are remembered so every message a connector writes can be redacted.
 */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `NAME=value` lines (`#` comments, optional quotes) or a JSON object of strings. */
export function parseSecretsFile(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    const parsed = JSON.parse(trimmed) as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("secrets file: expected a JSON object");
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  }
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trim().startsWith("#")) continue;
    let value = match[2]!;
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    out[match[1]!] = value;
  }
  return out;
}

export function readSecretsFile(file: string | undefined): Record<string, string> {
  if (!file) return {};
  try {
    return parseSecretsFile(readFileSync(file, "utf8"));
  } catch (error) {
    // The file's content never goes into the message: only its name and the failure.
    throw new Error(`cannot read secrets file ${file}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
}

export interface SecretSource {
  env: Record<string, string | undefined>;
  file: Record<string, string>;
}

export interface Resolved<T> {
  value: T;
  /** The values substituted, for redaction. */
  secrets: string[];
  /** `${NAME}` references with no value, by setting path. */
  missing: { path: string; name: string }[];
}

export function resolveSecrets<T>(value: T, source: SecretSource, path = ""): Resolved<T> {
  const secrets: string[] = [];
  const missing: { path: string; name: string }[] = [];
  const walk = (node: unknown, at: string): unknown => {
    if (typeof node === "string")
      return node.replace(REFERENCE, (_, name: string) => {
        const found = source.env[name] ?? source.file[name];
        if (found === undefined || found === "") {
          missing.push({ path: at, name });
          return "";
        }
        secrets.push(found);
        return found;
      });
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${at}[${i}]`));
    if (node && typeof node === "object")
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, at ? `${at}.${key}` : key)]));
    return node;
  };
  return { value: walk(value, path) as T, secrets, missing };
}

/** Replaces every secret (and its URL-encoded form) with `***`; a connector adds derived forms such as a basic-auth token. */
export function makeRedactor(secrets: string[]): (text: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
  }
  const sorted = [...needles].sort((a, b) => b.length - a.length);
  return (text: string) => sorted.reduce((out, needle) => out.split(needle).join("***"), text);
}
