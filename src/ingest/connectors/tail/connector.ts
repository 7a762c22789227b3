import { createHash } from "node:crypto";
import type { Executor } from "../../../store/index.js";
import { parseAlertTime } from "../../formats/generic.js";
import { saveProgress } from "../state.js";
import type { Checkpoint, Connector, PullContext, PullResult } from "../types.js";
import { cursorFrom, readPage, recordRejections, type Rejection, type TailCursor, type TailOptions, type TailSettings } from "./tail.js";

/** What a decoder makes of one complete line. */
export type Decoded =
  | { kind: "alert"; alert: Record<string, unknown> }
  /** A record that is fine but not an alert (a Suricata flow event, a Zeek header line…). */
  | { kind: "skip" }
  | { kind: "reject"; reason: string };

export interface LineDecoder<S> {
  /** The per-file state before the first line (Zeek's header; nothing for JSON-per-line logs). */
  initial(): S;
  decode(line: string, state: S): { result: Decoded; state: S };
  /** Header lines to replay when a file is started at its end. */
  preamble?: RegExp;
}

export interface TailConnectorOptions<S> {
  name: string;
  kind: string;
  intervalSeconds: number;
  tail: TailSettings;
  decoder: LineDecoder<S>;
}

/** The first 16 hex digits of the line's SHA-256: the same bytes read again give the same id. */
export function lineHash(line: string): string {
  return createHash("sha256").update(line).digest("hex").slice(0, 16);
}

/** The tail position stored in a checkpoint (health and tests read it). */
export function tailCursorOf(checkpoint: Checkpoint, filePath: string): TailCursor {
  return cursorFrom(checkpoint.cursor, filePath);
}

/**
 * A connector over a tailed file: each pull reads one page of complete lines, decodes them to generic
 * alerts, and returns the cursor after them, which the runner commits with the alerts. Lines a decoder
 * refuses are counted as rejected (with file and line number in the cursor) and never stop the tail.
 * The high-water mark is the newest alert time, for the lag in health; the cursor is the real position.
 */
export function createTailConnector<S>(options: TailConnectorOptions<S>): Connector {
  const { tail, decoder } = options;
  const tailOptions: TailOptions = decoder.preamble ? { preamble: decoder.preamble } : {};

  async function pull(checkpoint: Checkpoint, ctx: PullContext): Promise<PullResult> {
    const stored = cursorFrom(checkpoint.cursor, tail.path);
    const page = await readPage(stored, tail, tailOptions);
    let state: S = page.fresh || stored.parser_state === undefined ? decoder.initial() : (stored.parser_state as S);
    for (const line of page.preamble) state = decoder.decode(line, state).state;
    const alerts: Record<string, unknown>[] = [];
    const rejections: Rejection[] = [...page.rejections];
    let newest = checkpoint.time ? Date.parse(checkpoint.time) : -Infinity;
    for (const line of page.lines) {
      let decoded: { result: Decoded; state: S };
      try {
        decoded = decoder.decode(line.text, state);
      } catch (error) {
        decoded = { result: { kind: "reject", reason: error instanceof Error ? error.message : String(error) }, state };
      }
      state = decoded.state;
      const result = decoded.result;
      if (result.kind === "reject") rejections.push({ file: page.file ?? tail.path, line: line.number, reason: result.reason.slice(0, 200) });
      else if (result.kind === "alert") {
        alerts.push(result.alert);
        const time = typeof result.alert.time === "string" || typeof result.alert.time === "number" ? parseAlertTime(result.alert.time) : null;
        if (time && Date.parse(time) > newest) newest = Date.parse(time);
      }
    }
    // The decoder state belongs to the file the lines came from; a page that ended by switching files leaves the new one fresh.
    let cursor: TailCursor = { ...page.cursor, parser_state: page.cursor.file === page.file ? state : undefined };
    cursor = recordRejections(cursor, rejections);
    const time = Number.isFinite(newest) ? new Date(newest).toISOString() : checkpoint.time;
    const next: Checkpoint = { time, seen: [], overflow: false, cursor };
    const rejectedCount = rejections.length;
    return {
      alerts,
      checkpoint: next,
      more: page.more,
      fetched: page.lines.length,
      // Rejected lines are not alerts the runner can count: they join the connector's rejected count in the page's transaction.
      commit: rejectedCount ? (trx: Executor) => saveProgress(trx, options.name, next, { fetched: 0, created: 0, duplicates: 0, rejected: rejectedCount }, ctx.clock) : undefined,
    };
  }

  return { name: options.name, kind: options.kind, intervalSeconds: options.intervalSeconds, pull };
}
