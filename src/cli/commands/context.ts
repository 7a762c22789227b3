import type { Command } from "commander";
import { INTEL_FORMATS, formatGapCounts, gapCounts, importIntelFile, loadContextFile, type IntelFormat } from "../../context/index.js";
import { LEASE_FORMATS, importInventoryFile, importLeaseFile, type LeaseFormat } from "../../context/index.js";
import { isoNow } from "../../core/index.js";
import { action, printJson, withApp } from "../run.js";

export function register(program: Command) {
  const context = program.command("context").description("organisation context: CMDB assets, identities, intel, suppressions");
  context
    .command("load <file>")
    .description("load assets and identities (CSV or JSON), or a JSON file with assets, identities, indicators, suppressions")
    .action(
      action(async (file: string) => {
        await withApp(async (app) => printJson({ file, ...(await loadContextFile(app.store.db, file, { clock: app.clock })) }));
      }),
    );
  context
    .command("import-intel <path>")
    .description(
      "import threat intel: a STIX 2.1 bundle, a MISP feed folder (manifest.json + events), a MISP event or CSV, or a plain list (one value a line, # comments)",
    )
    .option("--feed <name>", "feed name recorded on each indicator (default: the file name)")
    .option("--format <format>", `one of ${INTEL_FORMATS.join(", ")} (default: detected)`)
    .action(
      action(async (target: string, options: { feed?: string; format?: string }) => {
        if (options.format && !(INTEL_FORMATS as readonly string[]).includes(options.format))
          throw new Error(`--format must be one of ${INTEL_FORMATS.join(", ")}`);
        await withApp(async (app) =>
          printJson({
            path: target,
            ...(await importIntelFile(app.store.db, target, { feed: options.feed, format: options.format as IntelFormat | undefined, clock: app.clock })),
          }),
        );
      }),
    );
  context
    .command("import-leases <file>")
    .description("import DHCP leases (ISC dhcpd.leases, CSV ip,hostname,mac,starts,ends, or JSON): which host held an address when")
    .option("--source <name>", "the DHCP server the leases come from (default: dhcp)")
    .option("--format <format>", `one of ${LEASE_FORMATS.join(", ")} (default: detected)`)
    .action(
      action(async (file: string, options: { source?: string; format?: string }) => {
        if (options.format && !(LEASE_FORMATS as readonly string[]).includes(options.format))
          throw new Error(`--format must be one of ${LEASE_FORMATS.join(", ")}`);
        await withApp(async (app) =>
          printJson({
            file,
            ...(await importLeaseFile(app.store.db, file, { now: isoNow(app.clock), source: options.source, format: options.format as LeaseFormat | undefined })),
          }),
        );
      }),
    );
  context
    .command("import-inventory <file>")
    .description("import a device inventory (JSON array of {hostname, device_id?, ips: [{ip, seen_at?}], os?, patch_level?, last_seen?, edr_present?, telemetry?…})")
    .requiredOption("--source <name>", "the inventory's name (defender, intune…): recorded as provenance")
    .action(
      action(async (file: string, options: { source: string }) => {
        await withApp(async (app) =>
          printJson({ file, source: options.source, ...(await importInventoryFile(app.store.db, file, { source: options.source, now: isoNow(app.clock) })) }),
        );
      }),
    );
  context
    .command("gaps")
    .description("missing context per alert source: alerts enriched, completeness, and how often each field path was missing")
    .option("--since <iso>", "alerts whose time is at or after this instant")
    .option("--until <iso>", "alerts whose time is before this instant")
    .option("--source <name>", "only this alert source")
    .option("--json", "print one JSON object instead of a table")
    .action(
      action(async (options: { since?: string; until?: string; source?: string; json?: boolean }) => {
        await withApp(async (app) => {
          const counts = await gapCounts(app.store.db, { since: options.since, until: options.until, source: options.source });
          if (options.json) printJson(counts);
          else process.stdout.write(`${formatGapCounts(counts)}\n`);
        });
      }),
    );
}
