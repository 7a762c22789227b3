import { scalarText } from "../values.js";
import type { Modifier } from "./modifier.js";

// `minute`, `hour`, `day`, `week`, `month`, `year`: that part (UTC) of a timestamp value, compared as a number.

export const TIME_PARTS: readonly Modifier[] = ["minute", "hour", "day", "week", "month", "year"].map((name) => ({
  name,
  kind: "time",
}));

export function timePart(part: string): (value: unknown) => number | undefined {
  return (value) => {
    const text = scalarText(value);
    if (text === undefined) return undefined;
    const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
    if (Number.isNaN(date.getTime())) return undefined;
    switch (part) {
      case "minute":
        return date.getUTCMinutes();
      case "hour":
        return date.getUTCHours();
      case "day":
        return date.getUTCDate();
      case "month":
        return date.getUTCMonth() + 1;
      case "year":
        return date.getUTCFullYear();
      default: {
        const start = Date.UTC(date.getUTCFullYear(), 0, 1);
        return Math.floor((date.getTime() - start) / (7 * 86_400_000)) + 1;
      }
    }
  };
}
