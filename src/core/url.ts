/** The host name of a URL as WHATWG URL parses it (possibly empty, e.g. `mailto:`), or null when it is not a URL. */
export function urlHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}
