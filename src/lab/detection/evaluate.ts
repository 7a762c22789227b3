import { namesTechnique } from "../../detect/attack-ids.js";
import { createDetector, normaliseEvent, type DetectionAlert } from "../../detect/engine.js";
import { listEventFiles, readEventFiles } from "../../detect/readers/index.js";
import type { DetectorSources } from "../../detect/rules/index.js";
import { datasetKey, labelOf, otrfLabels, type DatasetLabel } from "./labels.js";
import { triageDataset, type TriageOutcome } from "./triage.js";

/** A folder of recorded datasets; every event file under it (a `.zip` is one dataset) is one dataset. */
export interface Corpus {
  name: string;
  root: string;
  /** OTRF layout: labels from `root/metadata/*.yaml`. */
  otrfMetadata?: boolean;
}

export interface DatasetResult {
  dataset: string;
  corpus: string;
  /** Labelled techniques; null when unknown, [] for a benign recording. */
  techniques: string[] | null;
  labelled_by: string;
  events: number;
  alerts: number;
  alerted: boolean;
  /** An alert names a labelled technique (under its old or current id), its parent or a sub-technique. */
  named_technique: boolean;
  /** Rules whose alerts named the technique. */
  naming_rules: string[];
  /** Alerts that do not name the labelled technique (all of them on a benign recording). */
  other_alerts: number;
  /** Alerts per rule title. */
  rules: Record<string, number>;
  /** Events the reader could not read. */
  unreadable: number;
  /** With `triage`: the crew's calls on the dataset's alerts (cases, escalated cases, escalated, escalated_named). */
  triage?: TriageOutcome;
}

export interface DetectionEvaluation {
  /** Attack datasets (every dataset not labelled benign). */
  datasets: number;
  /** Attack datasets with a known technique: the denominator of `named_share`. */
  labelled: number;
  benign_datasets: number;
  alerted: number;
  named_technique: number;
  alerted_share: number;
  named_share: number;
  events: number;
  rules_loaded: number;
  rules_skipped: number;
  per_dataset: DatasetResult[];
  /** Per rule title: alerts that did not name their dataset's technique (unlabelled attack datasets left out). */
  noise_per_rule: Record<string, number>;
  /** Single-event rules whose noise is above `noise_cap`; correlations re-fire while an attack goes on and are exempt. */
  noisy_rules: string[];
  noise_cap: number;
  /** With `triage`: attack datasets with an escalated case, and with an escalated case naming the technique. */
  escalated?: number;
  escalated_named?: number;
  escalated_share?: number;
  escalated_named_share?: number;
}

export interface EvaluateOptions {
  corpora: Corpus[];
  sources: DetectorSources;
  /** Labels that win over metadata and ids in file names (`--labels`). */
  labels?: Map<string, DatasetLabel>;
  /** Noise above which a single-event rule is listed in `noisy_rules` (default 25, the corpus test's cap). */
  noiseCap?: number;
  onDataset?: (result: DatasetResult, index: number, total: number) => void;
  /** Also run each attack dataset that raised an alert through the whole pipeline and the crew (slow). */
  triage?: boolean;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

/**
 * Runs the rules over each dataset on its own (correlation windows never span datasets) and scores it
 * against its label. One detector is built and its correlation state reset between datasets.
 */
export async function evaluateDetection(options: EvaluateOptions): Promise<DetectionEvaluation> {
  const detector = await createDetector(options.sources);
  const initial = detector.saveState();
  const noiseCap = options.noiseCap ?? 25;
  const correlationTitles = new Set<string>();
  const datasets: { corpus: Corpus; path: string; label: DatasetLabel; key: string }[] = [];
  for (const corpus of options.corpora) {
    const metadata = corpus.otrfMetadata ? await otrfLabels(corpus.root) : new Map<string, DatasetLabel>();
    const { files } = await listEventFiles([corpus.root]);
    for (const { path } of files) {
      const key = datasetKey(corpus.root, path);
      datasets.push({ corpus, path, key, label: labelOf(key, options.labels ?? new Map(), metadata) });
    }
  }
  const perDataset: DatasetResult[] = [];
  const noise: Record<string, number> = {};
  let events = 0;
  for (const [index, { corpus, path, key, label }] of datasets.entries()) {
    detector.restoreState(initial);
    const result: DatasetResult = {
      dataset: `${corpus.name}/${key}`,
      corpus: corpus.name,
      techniques: label.techniques,
      labelled_by: label.labelledBy,
      events: 0,
      alerts: 0,
      alerted: false,
      named_technique: false,
      naming_rules: [],
      other_alerts: 0,
      rules: {},
      unreadable: 0,
    };
    const score = (alert: DetectionAlert) => {
      const title = alert.rule.title;
      if (alert.correlation) correlationTitles.add(title);
      result.alerts++;
      result.rules[title] = (result.rules[title] ?? 0) + 1;
      const names = (label.techniques ?? []).some((technique) => namesTechnique(technique, alert.attack.techniques));
      if (names) {
        result.named_technique = true;
        if (!result.naming_rules.includes(title)) result.naming_rules.push(title);
      } else {
        result.other_alerts++;
        if (label.techniques !== null) noise[title] = (noise[title] ?? 0) + 1;
      }
    };
    const now = new Date(0);
    for await (const { file, record, event } of readEventFiles([path], { onError: () => void result.unreadable++ })) {
      result.events++;
      for (const alert of detector.process(normaliseEvent(event), { file, record }, now)) score(alert);
    }
    for (const alert of detector.flush()) score(alert);
    result.alerted = result.alerts > 0;
    if (options.triage && result.alerted && label.techniques?.length !== 0) {
      result.triage = await triageDataset(path, options.sources, label.techniques ?? []);
    }
    events += result.events;
    perDataset.push(result);
    options.onDataset?.(result, index, datasets.length);
  }
  const attacks = perDataset.filter((d) => d.techniques === null || d.techniques.length > 0);
  const labelled = attacks.filter((d) => d.techniques !== null);
  const alerted = attacks.filter((d) => d.alerted).length;
  const named = labelled.filter((d) => d.named_technique).length;
  const escalated = attacks.filter((d) => d.triage?.escalated).length;
  const escalatedNamed = labelled.filter((d) => d.triage?.escalated_named).length;
  const triage = options.triage
    ? { escalated, escalated_named: escalatedNamed, escalated_share: share(escalated, attacks.length), escalated_named_share: share(escalatedNamed, labelled.length) }
    : {};
  return {
    datasets: attacks.length,
    labelled: labelled.length,
    benign_datasets: perDataset.length - attacks.length,
    alerted,
    named_technique: named,
    alerted_share: share(alerted, attacks.length),
    named_share: share(named, labelled.length),
    events,
    rules_loaded: detector.rulesLoaded,
    rules_skipped: detector.rulesSkipped.length,
    per_dataset: perDataset,
    noise_per_rule: Object.fromEntries(Object.entries(noise).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    noisy_rules: Object.entries(noise)
      .filter(([title, count]) => count > noiseCap && !correlationTitles.has(title))
      .map(([title]) => title)
      .sort(),
    noise_cap: noiseCap,
    ...triage,
  };
}
