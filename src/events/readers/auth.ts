import type { StoredEvent } from "../extract.js";
import { eventText } from "./data.js";

// An authentication read from an event: Windows Security 4624 / 4625 / 4648 / 4672, or an sshd log line.

export const AUTH_EVENT_IDS = { "4624": "success", "4625": "failure", "4648": "explicit_credentials", "4672": "special_privileges" } as const;

export interface EventAuth {
  time: string;
  host: string | null;
  user: string | null;
  kind: "success" | "failure" | "explicit_credentials" | "special_privileges";
  src_ip: string | null;
  logon_type: string | null;
  method: string | null;
  /** The stored event's id. */
  event_id: string;
}

const SSHD_LINE = /^(Accepted|Failed) (password|publickey|keyboard-interactive\/pam) for (?:invalid user )?(\S+) from (\S+) port \d+/;

export function toAuthEvent(event: StoredEvent): EventAuth | null {
  const d = event.data;
  const id = event.event_id ?? "";
  if (id in AUTH_EVENT_IDS) {
    const kind = AUTH_EVENT_IDS[id as keyof typeof AUTH_EVENT_IDS];
    return {
      time: event.time,
      host: event.host,
      user: kind === "special_privileges" ? eventText(d, "SubjectUserName") ?? event.user : eventText(d, "TargetUserName") ?? event.user,
      kind,
      src_ip: eventText(d, "IpAddress", "source.ip"),
      logon_type: eventText(d, "LogonType"),
      method: eventText(d, "AuthenticationPackageName", "LogonProcessName"),
      event_id: event.id,
    };
  }
  const program = eventText(d, "program", "process.name", "comm");
  const message = eventText(d, "message", "MESSAGE", "msg");
  if (program?.toLowerCase() === "sshd" && message) {
    const m = SSHD_LINE.exec(message);
    if (!m) return null;
    return {
      time: event.time,
      host: event.host,
      user: m[3]!,
      kind: m[1] === "Accepted" ? "success" : "failure",
      src_ip: m[4]!,
      logon_type: "ssh",
      method: m[2]!,
      event_id: event.id,
    };
  }
  return null;
}
