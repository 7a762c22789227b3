import { isIP } from "node:net";
import { z } from "zod";
import { Alert } from "../../core/index.js";
import { resolveHosts } from "../../context/index.js";
import { READERS, defineTool } from "./define.js";
import { ToolError } from "./tool.js";

function isAddress(value: string): boolean {
  return isIP(value) !== 0;
}

export const getAssetTool = defineTool({
  name: "get_asset",
  description:
    "The asset behind a host name or IP address: the CMDB record (criticality, environment, crown-jewel adjacency, owner, segment) " +
    "merged with EDR/MDM inventories (os, patch level, EDR, last seen), how it was resolved (an address as of a time: DHCP lease, " +
    "inventory sighting, CMDB address), the subnet, and where each part came from. Unknown fields are absent, never guessed.",
  input: z.object({
    host: z.string().trim().min(1).max(255).describe("Host name or IP address"),
    time: z.string().trim().min(1).max(64).optional().describe("ISO-8601 time to resolve an address as of (default: now)"),
  }),
  writes: false,
  agents: READERS,
  async run({ host, time }, ctx) {
    const at = time ?? ctx.clock.now().toISOString();
    if (Number.isNaN(Date.parse(at))) throw new ToolError("invalid_arguments", "time: must be an ISO-8601 time");
    const iso = new Date(at).toISOString();
    const probe = Alert.parse({
      schema_version: 1,
      id: "get_asset",
      source: "crew",
      source_id: null,
      time: iso,
      received_at: iso,
      title: "asset lookup",
      severity: "informational",
      rule: null,
      attack: {},
      host: isAddress(host) ? { ip: [host] } : { name: host },
      user: null,
      src: null,
      dst: null,
      network: null,
      process: null,
      email: null,
      observables: [],
      raw: null,
      unmapped: {},
      origin: { via: "api" },
    });
    const label = (await resolveHosts(ctx.db, [probe])).get(probe.id);
    if (!label?.record) throw new ToolError("not_found", `no CMDB or inventory record for ${host}`);
    return { asset: label.record.asset, resolved_by: label.resolution, subnet: label.subnet, provenance: label.provenance };
  },
});
