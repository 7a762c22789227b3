type PathPart = string | number;

/**
 * The paths of keys the schema does not know: those in `input` that parsing dropped from `output` (zod strips
 * unknown keys of a plain object). Context records are read this way so that a misspelt field — a suppression's
 * `scope.parent_nme` — is an error, not a silently wider suppression.
 */
export function droppedKeys(input: unknown, output: unknown, path: PathPart[] = []): PathPart[][] {
  if (Array.isArray(input) && Array.isArray(output)) {
    return input.flatMap((element, i) => (i < output.length ? droppedKeys(element, output[i], [...path, i]) : []));
  }
  if (!isPlainObject(input) || !isPlainObject(output)) return [];
  const out: PathPart[][] = [];
  for (const [key, value] of Object.entries(input)) {
    if (!Object.hasOwn(output, key)) {
      if (value !== undefined) out.push([...path, key]);
      continue;
    }
    out.push(...droppedKeys(value, output[key], [...path, key]));
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
