import type { AgentName } from "../../core/index.js";
import { addCaseCommentTool, proposeActionTool, updateCaseTool } from "./case-writes.js";
import { getDeviceTool, listDevicesTool } from "./devices.js";
import { eventsAroundTool } from "./events-around.js";
import { getAlertTool } from "./get-alert.js";
import { getAssetTool } from "./get-asset.js";
import { getCaseTool } from "./get-case.js";
import { getIdentityTool } from "./get-identity.js";
import { lookupIndicatorTool } from "./lookup-indicator.js";
import { processTreeTool } from "./process-tree.js";
import { readResultTool } from "./read-result.js";
import { searchEventsTool } from "./search-events.js";
import { readShiftMemoryTool, writeShiftMemoryTool } from "./shift-memory.js";
import { similarCasesTool } from "./similar-cases.js";
import type { ToolDefinition } from "./tool.js";

/** Every SOC tool, in the order they are offered: reads first, then writes. */
export const CREW_TOOLS: readonly ToolDefinition[] = [
  getAlertTool,
  getCaseTool,
  searchEventsTool,
  eventsAroundTool,
  processTreeTool,
  getAssetTool,
  getIdentityTool,
  lookupIndicatorTool,
  similarCasesTool,
  listDevicesTool,
  getDeviceTool,
  readResultTool,
  readShiftMemoryTool,
  addCaseCommentTool,
  updateCaseTool,
  proposeActionTool,
  writeShiftMemoryTool,
];

const BY_NAME = new Map(CREW_TOOLS.map((tool) => [tool.name, tool]));

/** The tools a crew tier is offered. */
export function toolsFor(agent: AgentName): ToolDefinition[] {
  return CREW_TOOLS.filter((tool) => tool.agents.includes(agent));
}

export function toolByName(name: string): ToolDefinition | undefined {
  return BY_NAME.get(name);
}
