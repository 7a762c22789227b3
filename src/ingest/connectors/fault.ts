/** A scripted HTTP failure the connectors' test servers (`<vendor>/testing.ts`) serve before the real answer. */
export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}
