import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { installedManifest, installedRulesDir } from "./update.js";

export { PINNED_SIGMA_RELEASE, installedRulesDir, readInstalledRules, updateSigmaRules, type InstalledRules } from "./update.js";

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
  /** `$NIGHTSHIFT_HOME`: the SigmaHQ rules `nightshift rules update` installed there run after the pack. */
  home?: string;
  /** Values that win, name by name, over the configured placeholders (a `--placeholders` file). */
  placeholders?: Record<string, string[]>;
}

/** What `createDetector` needs: `createDetector(detectorSources(config.detect))` runs what `nightshift detect` runs. */
export interface DetectorSources {
  ruleDirs: string[];
  placeholders: Record<string, string[]>;
  logsourceFiles: string[];
}

/** `$NIGHTSHIFT_HOME/rules` when `nightshift rules update` installed rules there, else undefined. */
export function installedRulesFolder(home: string): string | undefined {
  return existsSync(installedManifest(home)) ? installedRulesDir(home) : undefined;
}

/**
 * Pack first, then the rules `rules update` installed (with `choice.home`), then configured folders, then
 * extra ones (duplicates once); placeholder values as lists.
 */
export function detectorSources(settings: DetectSettings, choice: RuleSourceChoice = {}): DetectorSources {
  const builtin = !choice.only && choice.builtin !== false && settings.builtin_rules;
  const installed = choice.only || choice.home === undefined ? undefined : installedRulesFolder(choice.home);
  const configured = [...(installed === undefined ? [] : [installed]), ...(choice.only ? [] : settings.rules)];
  const configuredValues = Object.fromEntries(
    Object.entries(settings.placeholders).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
  );
  return {
    ruleDirs: [...new Set([...(builtin ? [BUILTIN_RULES_DIR] : []), ...configured, ...(choice.rules ?? [])])],
    placeholders: { ...configuredValues, ...choice.placeholders },
    logsourceFiles: settings.logsources,
  };
}
