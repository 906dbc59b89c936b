/**
 * The `<name>` placeholders of an input template, as EventBridge input transformers and Pipes input
 * templates both fill them: a placeholder sits either in a JSON value position of a JSON template or
 * inside a string (or free text), which decides how its value is written.
 */
export function fillPlaceholders(
  template: string,
  fill: (name: string, jsonValuePosition: boolean) => string | undefined,
): string {
  const isJsonTemplate = /^\s*[{[]/.test(template);
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (char === '<') {
      const end = template.indexOf('>', i);
      const name = end > i ? template.slice(i + 1, end) : '';
      const filled = name === '' ? undefined : fill(name, isJsonTemplate && !inString);
      if (filled !== undefined) {
        out += filled;
        i = end;
        continue;
      }
    }
    if (char === '"' && template[i - 1] !== '\\') inString = !inString;
    out += char;
  }
  return out;
}
