import { z } from "zod";
import { ACTION_NAMES, ActionName } from "../../actions/index.js";
import { commonSettings } from "../common.js";

/** A record-only connector (`kind: record_only`): no vendor; a human carries the action out and confirms it. */
export const RecordOnlySettings = z.strictObject({
  ...commonSettings("record_only"),
  actions: z.array(ActionName).min(1).default([...ACTION_NAMES]),
});
export type RecordOnlySettings = z.output<typeof RecordOnlySettings>;

/** The connector used for any action no configured connector carries out. */
export const RECORD_ONLY_NAME = "record-only";
