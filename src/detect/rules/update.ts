import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import yauzl from "yauzl";
import { z } from "zod";
import { ValidationError } from "../../core/errors.js";

/**
 * The SigmaHQ release `nightshift rules update` installs by default. The checksum is that of the release
 * asset as published; it was not re-computed against a live download when it was pinned (no network).
 */
export const PINNED_SIGMA_RELEASE = {
  version: "r2026-07-01",
  url: "https://github.com/SigmaHQ/sigma/releases/download/r2026-07-01/sigma_all_rules.zip",
  sha256: "5725c91b5813587ad6a4b0b8e0233fa44348b1595f818d8b7fd39d6033385085",
} as const;

/** Where installed rules live: `$NIGHTSHIFT_HOME/rules`, with the record of what was installed beside them. */
export const installedRulesDir = (home: string) => join(home, "rules");
const MANIFEST = ".nightshift-sigma.json";

export const InstalledRules = z
  .object({
    version: z.string(),
    url: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    installed_at: z.string(),
    files: z.number().int().nonnegative(),
    license: z.string(),
  })
  .strict();
export type InstalledRules = z.infer<typeof InstalledRules>;

export interface UpdateLimits {
  /** Largest download accepted, in bytes (default 200 MB). */
  maxDownloadBytes: number;
  /** Most files unpacked (default 20 000). */
  maxFiles: number;
  /** Largest single unpacked file (default 2 MB: a Sigma rule is a few KB). */
  maxFileBytes: number;
  /** Largest total unpacked (default 300 MB). */
  maxTotalBytes: number;
}
export const DEFAULT_UPDATE_LIMITS: UpdateLimits = {
  maxDownloadBytes: 200 * 1024 * 1024,
  maxFiles: 20_000,
  maxFileBytes: 2 * 1024 * 1024,
  maxTotalBytes: 300 * 1024 * 1024,
};

export interface UpdateOptions {
  home: string;
  /** Another package (a mirror, a newer release); needs `sha256`. */
  url?: string;
  sha256?: string;
  limits?: Partial<UpdateLimits>;
  fetchImpl?: typeof fetch;
  now?: Date;
}

/** The rules `rules update` installed, or undefined when there are none (or the record is unreadable). */
export async function readInstalledRules(home: string): Promise<InstalledRules | undefined> {
  const text = await readFile(join(installedRulesDir(home), MANIFEST), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = InstalledRules.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest file name, for callers that test for an installation synchronously. */
export const installedManifest = (home: string) => join(installedRulesDir(home), MANIFEST);

const versionOf = (url: string) => /\/(r\d{4}-\d{2}-\d{2})\//.exec(url)?.[1] ?? "custom";

/**
 * Downloads a SigmaHQ release package, verifies its SHA-256, unpacks its Sigma rules (and licence text) into
 * `$NIGHTSHIFT_HOME/rules` and records the version. Nothing is changed unless every step succeeds: the new
 * folder replaces the old one only at the end.
 */
export async function updateSigmaRules(options: UpdateOptions): Promise<InstalledRules> {
  const limits = { ...DEFAULT_UPDATE_LIMITS, ...options.limits };
  if (options.url !== undefined && options.sha256 === undefined) {
    throw new ValidationError("a package URL needs its checksum", [{ path: "--sha256", message: "give the SHA-256 of the package at --url" }]);
  }
  const url = options.url ?? PINNED_SIGMA_RELEASE.url;
  const expected = (options.sha256 ?? PINNED_SIGMA_RELEASE.sha256).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new ValidationError("invalid checksum", [{ path: "--sha256", message: "expected 64 hexadecimal digits" }]);
  }
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new ValidationError("invalid package URL", [{ path: "--url", message: url }]);
  }
  if (parsedUrl.protocol !== "https:" && parsedUrl.protocol !== "http:") {
    throw new ValidationError("invalid package URL", [{ path: "--url", message: "only http and https are supported" }]);
  }
  await mkdir(options.home, { recursive: true });
  const token = randomBytes(6).toString("hex");
  const download = join(options.home, `.rules-download-${token}.zip`);
  const staging = join(options.home, `.rules-staging-${token}`);
  try {
    const actual = await downloadTo(url, download, limits.maxDownloadBytes, options.fetchImpl ?? fetch);
    if (actual !== expected) throw new Error(`checksum mismatch for ${url}: expected sha256 ${expected}, got ${actual}; nothing installed`);
    const { files, license } = await unpackRules(download, staging, limits);
    if (files === 0) throw new Error(`${url} holds no Sigma rules (.yml); nothing installed`);
    const record: InstalledRules = {
      version: options.url === undefined ? PINNED_SIGMA_RELEASE.version : versionOf(url),
      url,
      sha256: actual,
      installed_at: (options.now ?? new Date()).toISOString(),
      files,
      license,
    };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(record, null, 2)}\n`);
    await swapInto(staging, installedRulesDir(options.home));
    return record;
  } finally {
    await rm(download, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

async function downloadTo(url: string, file: string, maxBytes: number, fetchImpl: typeof fetch): Promise<string> {
  let response: Response;
  try {
    response = await fetchImpl(url, { redirect: "follow", signal: AbortSignal.timeout(10 * 60_000) });
  } catch (error) {
    throw new Error(`cannot download ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || response.body === null) throw new Error(`cannot download ${url}: HTTP ${response.status}`);
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new Error(`${url} is ${declared} bytes, over the ${maxBytes}-byte limit`);
  const hash = createHash("sha256");
  let received = 0;
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) body.destroy(new Error(`${url} is over the ${maxBytes}-byte limit`));
    else hash.update(chunk);
  });
  await pipeline(body, createWriteStream(file));
  return hash.digest("hex");
}

/** What is unpacked: Sigma rules, and the licence and readme text that must travel with them. */
const KEEP = /\.(ya?ml)$|(^|\/)(LICENSE[^/]*|README[^/]*\.md)$/i;

/** A safe path inside `root` for a zip entry name, or undefined (absolute, `..`, drive letters, backslashes). */
export function safeEntryPath(root: string, name: string): string | undefined {
  if (name.includes("\\") || name.includes("\0") || isAbsolute(name) || /^[a-zA-Z]:/.test(name)) return undefined;
  const target = normalize(join(root, name));
  const inside = relative(root, target);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside) || inside.split(sep).includes("..")) return undefined;
  return target;
}

async function unpackRules(zipFile: string, into: string, limits: UpdateLimits): Promise<{ files: number; license: string }> {
  await mkdir(into, { recursive: true });
  let zip: yauzl.ZipFile;
  try {
    // Names are checked here (below) rather than by yauzl, so that a bad one is named in the error.
    zip = await yauzl.openPromise(zipFile, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    throw new Error(`the package is not a readable zip archive: ${(error as Error).message}`, { cause: error });
  }
  let files = 0;
  let rules = 0;
  let total = 0;
  let license = "";
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (name.endsWith("/")) continue;
      const target = safeEntryPath(into, name);
      if (target === undefined) throw new Error(`unsafe path in the package: ${JSON.stringify(name)}; nothing installed`);
      if (!KEEP.test(name)) continue;
      if (++files > limits.maxFiles) throw new Error(`the package holds more than ${limits.maxFiles} files; nothing installed`);
      if (entry.uncompressedSize > limits.maxFileBytes) throw new Error(`${name} is over the ${limits.maxFileBytes}-byte limit; nothing installed`);
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes) throw new Error(`the package unpacks to more than ${limits.maxTotalBytes} bytes; nothing installed`);
      await mkdir(dirname(target), { recursive: true });
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target, { flags: "wx" }));
      if (/\.ya?ml$/i.test(name)) rules++;
      else if (/(^|\/)LICENSE[^/]*$/i.test(name) && license === "") license = name;
    }
  } finally {
    zip.close();
  }
  return { files: rules, license: license === "" ? "Detection Rule License 1.1 (not included in the package)" : license };
}

/** Puts `staging` at `target`, keeping the previous installation until the new one is in place. */
async function swapInto(staging: string, target: string): Promise<void> {
  const previous = `${target}.previous-${randomBytes(4).toString("hex")}`;
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  if (exists) await rename(target, previous);
  try {
    await rename(staging, target);
  } catch (error) {
    if (exists) await rename(previous, target);
    throw error;
  }
  if (exists) await rm(previous, { recursive: true, force: true });
}
