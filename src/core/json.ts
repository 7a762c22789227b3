/**
 * JSON parsing that keeps big integers exact. `JSON.parse` reads every number into a double, so a 64-bit
 * id (a Suricata `flow_id`, a Windows record id, a hash written as a number) beyond 2^53 − 1 silently
 * becomes a neighbour, and two different records become one. Here an integer literal (no fraction, no
 * exponent) that is not a safe integer is read as its decimal string instead; every other value is what
 * `JSON.parse` gives. Numbers inside strings are never touched. Node 20 has no reviver `context.source`,
 * so the text is scanned once before parsing (and not at all when it holds no run of 16 digits).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const isDigit = (code: number) => code >= ZERO && code <= NINE;
/** Characters that can continue a JSON number token. */
const isNumberPart = (code: number) => isDigit(code) || code === 0x2e || code === 0x65 || code === 0x45 || code === 0x2b || code === MINUS;

/** 2^53 − 1 has 16 digits: a shorter integer literal is always safe. */
const SAFE_DIGITS = 15;
const LONG_DIGIT_RUN = /\d{16}/;

/**
 * The text with each unsafe integer literal quoted, or the same string when there is none. Invalid JSON
 * is passed through as it is (JSON.parse reports it).
 */
export function quoteBigIntegers(text: string): string {
  if (!LONG_DIGIT_RUN.test(text)) return text;
  const pieces: string[] = [];
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      // Skip the string: its end is the next quote not escaped by a backslash.
      i++;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i += 2;
        else if (c === QUOTE) break;
        else i++;
      }
      i++;
      continue;
    }
    if (code === MINUS || isDigit(code)) {
      const start = i;
      while (i < n && isNumberPart(text.charCodeAt(i))) i++;
      const token = text.slice(start, i);
      const digits = code === MINUS ? token.length - 1 : token.length;
      if (digits > SAFE_DIGITS && /^-?(0|[1-9]\d*)$/.test(token) && !Number.isSafeInteger(Number(token))) {
        pieces.push(text.slice(copied, start), '"', token, '"');
        copied = i;
      }
      continue;
    }
    i++;
  }
  if (copied === 0) return text;
  pieces.push(text.slice(copied));
  return pieces.join("");
}

/** `JSON.parse` that keeps integers beyond ±(2^53 − 1) as exact decimal strings. Errors are JSON.parse's own. */
export function parseJson(text: string): unknown {
  const quoted = quoteBigIntegers(text);
  if (quoted === text) return JSON.parse(text) as unknown;
  try {
    return JSON.parse(quoted) as unknown;
  } catch {
    // Report the error against the text as sent (positions would be shifted in the quoted one).
    return JSON.parse(text) as unknown;
  }
}
