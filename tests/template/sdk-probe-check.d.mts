/** Types of tests/template/sdk-probe-check.mjs (plain JavaScript, run by plain node). */
export function same(a: unknown, b: unknown, seen?: Map<object, object>): boolean;
export function registeredErrors(client: unknown): string[];
export function check(spec: {
  probe: string;
  clients: { pkg: string; clientExport: string; operations: { operation: string; exported: string }[] }[];
}): Promise<Record<string, { schemas: Record<string, boolean>; registered: string[] }>>;
