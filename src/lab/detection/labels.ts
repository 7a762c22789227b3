import { readdir, readFile } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { ValidationError, issuesOf } from "../../core/errors.js";
import { techniqueId } from "../../detect/attack-ids.js";

/**
 * Ground truth for a recorded dataset: the ATT&CK techniques it simulates. `null` techniques: an attack
 * dataset whose technique is not known (counted as an attack, not in the naming share); `[]`: a recording
 * of benign activity (not an attack dataset; all its alerts are noise).
 */
export type DatasetLabel = { techniques: string[] | null; labelledBy: string };

/** One OTRF Security-Datasets metadata document, as far as labels go (the rest is the project's own). */
const OtrfMetadata = z.object({
  id: z.string().optional(),
  attack_mappings: z
    .array(
      z.object({
        technique: z.string(),
        "sub-technique": z.union([z.string(), z.number()]).nullish(),
      }),
    )
    .nullish(),
  files: z.array(z.object({ type: z.string().optional(), link: z.string() })).nullish(),
});

/** `T1003` + `"001"` → `T1003.001`; bad ids (OTRF's `T0000` placeholder included) → undefined. */
function otrfTechnique(technique: string, sub: string | number | null | undefined): string | undefined {
  const base = techniqueId(technique);
  if (base === undefined || base === "T0000") return undefined;
  const subText = sub === null || sub === undefined ? "" : String(sub).trim();
  if (subText === "") return base;
  return techniqueId(`${base}.${subText.padStart(3, "0")}`);
}

/** The dataset path a metadata link names, from the `atomic/` folder on (`windows/<tactic>/host/x.zip`). */
function linkKey(link: string): string {
  const at = link.indexOf("/atomic/");
  return at >= 0 ? link.slice(at + "/atomic/".length) : basename(link);
}

/**
 * Labels of an OTRF Security-Datasets tree: `metadata/*.yaml` maps each dataset, by its file link, to
 * `attack_mappings`. Keys are dataset paths relative to `root` with `/` separators. A metadata file that is
 * not YAML or not of that shape is an error naming the file.
 */
export async function otrfLabels(root: string): Promise<Map<string, DatasetLabel>> {
  const dir = join(root, "metadata");
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => /\.ya?ml$/i.test(name)).sort();
  const labels = new Map<string, DatasetLabel>();
  for (const name of names) {
    const file = join(dir, name);
    let raw: unknown;
    try {
      raw = parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new ValidationError(`invalid OTRF metadata ${file}`, [{ path: file, message: (error as Error).message }]);
    }
    const parsed = OtrfMetadata.safeParse(raw);
    if (!parsed.success) throw new ValidationError(`invalid OTRF metadata ${file}`, issuesOf(parsed.error));
    const techniques = [
      ...new Set((parsed.data.attack_mappings ?? []).flatMap((m) => otrfTechnique(m.technique, m["sub-technique"]) ?? [])),
    ];
    if (techniques.length === 0) continue;
    for (const { link } of parsed.data.files ?? []) {
      const key = linkKey(link);
      const known = labels.get(key);
      const merged = [...new Set([...(known?.techniques ?? []), ...techniques])];
      labels.set(key, { techniques: merged, labelledBy: `metadata/${name}` });
    }
  }
  return labels;
}

/** `…/T1558.003_Kerberoasting.evtx` → [T1558.003]: technique ids written in a dataset's path. */
export function techniquesInPath(path: string): string[] {
  const found = path.toUpperCase().match(/(?<![A-Z0-9])T\d{4}(?:\.\d{3})?(?!\d)/g) ?? [];
  return [...new Set(found)];
}

/** A user's labels file: dataset path (relative, `/`-separated, or a suffix of it) → techniques; `[]` = benign. */
const LabelsFile = z.record(z.string().min(1), z.array(z.string()));

export async function readLabelsFile(file: string): Promise<Map<string, DatasetLabel>> {
  let raw: unknown;
  try {
    raw = parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ValidationError(`cannot read labels file ${file}`, [{ path: "--labels", message: (error as Error).message }]);
  }
  const parsed = LabelsFile.safeParse(raw ?? {});
  if (!parsed.success) throw new ValidationError(`invalid labels file ${file}`, issuesOf(parsed.error));
  const labels = new Map<string, DatasetLabel>();
  for (const [path, ids] of Object.entries(parsed.data)) {
    const techniques = ids.map((id, index) => {
      const technique = techniqueId(id);
      if (technique === undefined) {
        throw new ValidationError(`invalid labels file ${file}`, [{ path: `${path}[${index}]`, message: `not an ATT&CK technique id: ${id}` }]);
      }
      return technique;
    });
    labels.set(path.replaceAll("\\", "/"), { techniques, labelledBy: file });
  }
  return labels;
}

/** Forward slashes, relative to `root`. */
export function datasetKey(root: string, path: string): string {
  return relative(root, path).split(sep).join("/");
}

/** The label of one dataset: explicit labels (exact key, then longest suffix) first, then OTRF metadata, then ids in its path. */
export function labelOf(key: string, explicit: Map<string, DatasetLabel>, otrf: Map<string, DatasetLabel>): DatasetLabel {
  const exact = explicit.get(key);
  if (exact) return exact;
  let best: [string, DatasetLabel] | undefined;
  for (const entry of explicit) {
    if ((key.endsWith(`/${entry[0]}`) || key === entry[0]) && (best === undefined || entry[0].length > best[0].length)) best = entry;
  }
  if (best) return best[1];
  const fromMetadata = otrf.get(key);
  if (fromMetadata) return fromMetadata;
  const inPath = techniquesInPath(key);
  return inPath.length > 0 ? { techniques: inPath, labelledBy: "path" } : { techniques: null, labelledBy: "none" };
}
