import { describe, expect, it } from "vitest";
import { withoutSecrets } from "./provider.js";
import { ModelSettings } from "./types.js";

describe("withoutSecrets", () => {
  const settings = ModelSettings.parse({
    base_url: "http://127.0.0.1:1/v1",
    model: "m",
    api_key: "sk-live-1234567890",
    headers: { "X-Api-Token": "Bearer tok-abcdef", "X-Team": "blue" },
  });

  it("redacts the key and secret headers, with or without their scheme, and keeps the rest", () => {
    const text = "HTTP 401: Incorrect API key provided: sk-live-1234567890; header tok-abcdef; Bearer tok-abcdef; team blue";
    expect(withoutSecrets(settings, text)).toBe("HTTP 401: Incorrect API key provided: [redacted]; header [redacted]; [redacted]; team blue");
  });
});
