import { describe, expect, it } from "vitest";
import { hasBenignPrecedent } from "./precedent.js";

const shape = (by: "host" | "role" | "src_ip", benign: number, malicious = 0) => ({
  by,
  source: "wazuh",
  rule: "clamav",
  value: "mail",
  benign,
  stale_benign: 0,
  malicious,
  last_benign_at: null,
  last_malicious_at: null,
});

describe("a benign analyst precedent", () => {
  it("needs five benign dispositions of the host or role shape and none malicious on any shape", () => {
    expect(hasBenignPrecedent(undefined)).toBe(false);
    expect(hasBenignPrecedent({ max_age_days: 90, shapes: [shape("host", 4)] })).toBe(false);
    expect(hasBenignPrecedent({ max_age_days: 90, shapes: [shape("host", 5)] })).toBe(true);
    expect(hasBenignPrecedent({ max_age_days: 90, shapes: [shape("role", 11283)] })).toBe(true);
    expect(hasBenignPrecedent({ max_age_days: 90, shapes: [shape("src_ip", 50)] })).toBe(false);
    expect(hasBenignPrecedent({ max_age_days: 90, shapes: [shape("host", 500), shape("src_ip", 0, 1)] })).toBe(false);
  });
});
