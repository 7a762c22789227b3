/** A scripted HTTP failure the connectors' test servers (`<vendor>/testing.ts`) serve before the real answer. */
export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A request an OAuth-protected Microsoft test server (Defender, Sentinel) received. */
export interface OAuthRecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  form: Record<string, string>;
}
