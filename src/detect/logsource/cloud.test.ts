import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedPath } from "../../../test/support/shared.js";
import { createDetector, normaliseEvent, type Detector } from "../engine.js";

// Cloud audit logs reach SigmaHQ's cloud rules through logsource mappings, and rules no mapping routes
// events to are reported as unreachable (issue 13 item 3).
const RULES: Record<string, [string, string]> = {
  cloudtrail: ["cloud/aws/cloudtrail/aws_cloudtrail_disable_logging.yml", "4db60cc0-36fb-42b7-9b58-a5b53019fb74"],
  activity: ["cloud/azure/activity_logs/azure_application_gateway_modified_or_deleted.yml", "ad87d14e-7599-4633-ba81-aeb60cfe8cd6"],
  signin: ["cloud/azure/signin_logs/azure_account_lockout.yml", "2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a"],
  okta: ["identity/okta/okta_user_created.yml", "b6c718dd-8f53-4b9f-98d8-93fdca966969"],
  m365: ["cloud/m365/audit/microsoft365_disabling_mfa.yml", "60de9b57-dc4d-48b9-a6a0-b39e0469f876"],
};
const PRODUCTLESS = `title: Product-less network connection
id: 6a5c1d2e-0000-4000-8000-000000000001
logsource: {category: network_connection}
detection:
  selection: {DestinationPort: 4444}
  condition: selection
`;

let dir: string;
let detector: Detector;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cloud-rules-"));
  for (const [rule] of Object.values(RULES)) copyFileSync(sharedPath("data/sigma/rules/rules", rule), join(dir, basename(rule)));
  writeFileSync(join(dir, "productless.yml"), PRODUCTLESS);
  detector = await createDetector({ ruleDirs: [dir] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const matches = (event: Record<string, unknown>) => detector.match(normaliseEvent(event)).map((rule) => rule.rule.id);

describe("cloud audit logs", () => {
  it("CloudTrail, Azure Activity and sign-in, Okta System Log and M365 audit records meet their rules", () => {
    const cloudtrail = { eventVersion: "1.08", eventTime: "2026-12-01T10:00:00Z", eventSource: "cloudtrail.amazonaws.com", eventName: "StopLogging", awsRegion: "eu-west-1" };
    expect(matches(cloudtrail)).toEqual([RULES.cloudtrail![1]]);
    expect(matches({ ...cloudtrail, eventName: "DescribeTrails" })).toEqual([]);
    const activity = { time: "2026-12-01T10:00:00Z", resourceId: "/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG", operationName: "MICROSOFT.NETWORK/APPLICATIONGATEWAYS/DELETE", category: "Administrative" };
    expect(matches(activity)).toEqual([RULES.activity![1]]);
    const signin = { time: "2026-12-01T10:00:00Z", operationName: "Sign-in activity", category: "SignInLogs", resultType: "50053", properties: { userPrincipalName: "a@b.c" } };
    expect(matches(signin)).toEqual([RULES.signin![1]]);
    const okta = { uuid: "u-1", published: "2026-12-01T10:00:00.000Z", eventType: "user.lifecycle.create", displayMessage: "Create Okta user" };
    expect(matches(okta)).toEqual([RULES.okta![1]]);
    const m365 = { CreationTime: "2026-12-01T10:00:00", Workload: "AzureActiveDirectory", RecordType: 8, Operation: "Disable Strong Authentication.", ResultStatus: "Success" };
    expect(matches(m365)).toEqual([RULES.m365![1]]);
  });

  it("reports loaded rules that no mapping routes events to, with their logsource", () => {
    expect(detector.rulesUnreachable).toEqual([
      { file: "productless.yml", reason: "no logsource mapping for category network_connection (no product)", logsource: "-/-/network_connection" },
    ]);
    expect(detector.rulesSkipped).toEqual([]);
  });
});
