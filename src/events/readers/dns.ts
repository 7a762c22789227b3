import type { StoredEvent } from "../extract.js";
import { eventField, eventText } from "./data.js";

// A DNS lookup read from an event: Sysmon 22, ECS, Zeek dns, Suricata dns.

export interface EventDnsLookup {
  time: string;
  host: string | null;
  query: string;
  answers: string[];
  response_code: string | null;
  process: string | null;
}

export function toDnsLookup(event: StoredEvent): EventDnsLookup | null {
  const d = event.data;
  const query = eventText(d, "QueryName", "dns.question.name", "query", "dns.rrname", "dns.query");
  if (!query) return null;
  const results = eventText(d, "QueryResults");
  const answersField = eventField(d, "answers", "dns.resolved_ip", "dns.answers");
  const answers = results
    ? results
        .split(";")
        .map((s) => s.replace(/^type:\s*\d+\s*/i, "").replace(/^::ffff:/, "").trim())
        .filter(Boolean)
    : Array.isArray(answersField)
      ? answersField.filter((a): a is string => typeof a === "string")
      : [];
  const status = eventText(d, "QueryStatus", "rcode_name", "dns.response_code", "dns.rcode");
  return {
    time: event.time,
    host: event.host,
    query: query.replace(/\.$/, ""),
    answers: answers.slice(0, 10),
    response_code: status === "0" ? "NOERROR" : status === "9003" ? "NXDOMAIN" : status,
    process: event.process,
  };
}
