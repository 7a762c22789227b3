import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { PINNED_SIGMA_RELEASE, installedRulesFolder, updateSigmaRules } from "../../detect/rules/index.js";
import { action, printJson } from "../run.js";

interface UpdateCommandOptions {
  url?: string;
  sha256?: string;
}

/** `nightshift rules update`: installs a SigmaHQ release package into `$NIGHTSHIFT_HOME/rules`. */
export function registerUpdate(rules: Command) {
  rules
    .command("update")
    .description(
      `download SigmaHQ's rule package (pinned: ${PINNED_SIGMA_RELEASE.version}), verify its SHA-256 and install its rules into $NIGHTSHIFT_HOME/rules, where detect, ingest logs and hunts run them from then on; prints the installed version as one JSON line`,
    )
    .option("--url <url>", "another package to install (a mirror or a newer release); needs --sha256")
    .option("--sha256 <hex>", "the package's SHA-256 (with --url; default: the pinned release's)")
    .action(action(async (options: UpdateCommandOptions) => rulesUpdate(options)));
}

async function rulesUpdate(options: UpdateCommandOptions): Promise<void> {
  const { home } = loadConfig();
  const record = await updateSigmaRules({
    home,
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
  });
  process.stderr.write(
    `nightshift: installed SigmaHQ rules ${record.version} (${record.files} rule files) in ${home}/rules; licensed under the Detection Rule License 1.1 - alerts show each rule's author\n`,
  );
  printJson(record);
}

/**
 * The first-run hint: with neither installed nor configured SigmaHQ rules (nor `--rules`), only the built-in
 * pack runs; say once per run, on stderr, how to add SigmaHQ's.
 */
export function sigmaRulesHint(home: string, configured: readonly string[], extra: readonly string[] = []): void {
  if (configured.length > 0 || extra.length > 0 || installedRulesFolder(home) !== undefined) return;
  process.stderr.write(
    "nightshift: no SigmaHQ rules configured - only the built-in pack runs. `nightshift rules update` installs SigmaHQ's rule release into $NIGHTSHIFT_HOME/rules (detect, ingest logs and hunts use it from then on).\n",
  );
}
