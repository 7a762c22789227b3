import { fileURLToPath } from "node:url";

/** The Sigma rule pack shipped with Nightshift (this folder's `*.yml`, copied beside the build). */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL(".", import.meta.url));

/** The `detect` section of the configuration, as far as rule sources go. */
export interface DetectSettings {
  rules: string[];
  builtin_rules: boolean;
  placeholders: Record<string, string | string[]>;
  logsources: string[];
}

export interface RuleSourceChoice {
  /** Further rule folders (`--rules`), after the configured ones. */
  rules?: string[];
  /** false: leave out the built-in pack even when the configuration keeps it. */
  builtin?: boolean;
  /** true: `rules` alone, without the pack and the configured folders. */
  only?: boolean;
  /** Values that win, name by name, over the configured placeholders (a `--placeholders` file). */
  placeholders?: Record<string, string[]>;
}

/** What `createDetector` needs: `createDetector(detectorSources(config.detect))` runs what `nightshift detect` runs. */
export interface DetectorSources {
  ruleDirs: string[];
  placeholders: Record<string, string[]>;
  logsourceFiles: string[];
}

/** Pack first, then configured folders, then extra ones (duplicates once); placeholder values as lists. */
export function detectorSources(settings: DetectSettings, choice: RuleSourceChoice = {}): DetectorSources {
  const builtin = !choice.only && choice.builtin !== false && settings.builtin_rules;
  const configured = choice.only ? [] : settings.rules;
  const configuredValues = Object.fromEntries(
    Object.entries(settings.placeholders).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
  );
  return {
    ruleDirs: [...new Set([...(builtin ? [BUILTIN_RULES_DIR] : []), ...configured, ...(choice.rules ?? [])])],
    placeholders: { ...configuredValues, ...choice.placeholders },
    logsourceFiles: settings.logsources,
  };
}
