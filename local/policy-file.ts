/**
 * Reads a policy file (YAML or JSON) for the command line, the demo and the build. The Lambda never
 * parses YAML: it loads the JSON compiled from `config/default-policy.yaml`, or JSON from SSM.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { ValidationIssue } from '#domain/json-schema';
import { type PolicyParseResult, parsePolicy } from '#domain/policy';

export const DEFAULT_POLICY_YAML = new URL('../config/default-policy.yaml', import.meta.url);

/**
 * Bounds on what a policy file may hold, far above any real policy (the default is about 3 KB and
 * 17 rules; an SSM Advanced parameter holds 8 KB), so that a hostile or mistaken file is refused in one
 * line instead of exhausting memory: its size, its rules, and YAML aliases (a "billion laughs" file).
 */
export const MAX_POLICY_BYTES = 1_048_576;
export const MAX_POLICY_RULES = 1_000;
export const MAX_POLICY_ALIASES = 100;

/** Parses YAML (a superset of JSON), reporting syntax errors with their line and column. */
export function parsePolicyText(text: string): PolicyParseResult {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues: ValidationIssue[] = document.errors.map((error) => ({
      path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '',
      message: error.message.split('\n')[0] ?? error.message,
    }));
    return { ok: false, issues };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_POLICY_ALIASES });
  } catch (error) {
    return {
      ok: false,
      issues: [
        {
          path: '',
          message: `too many YAML alias expansions (at most ${MAX_POLICY_ALIASES}; ${(error as Error).message})`,
        },
      ],
    };
  }
  const rules = (value as { rules?: unknown } | null)?.rules;
  if (Array.isArray(rules) && rules.length > MAX_POLICY_RULES)
    return {
      ok: false,
      issues: [
        {
          path: 'rules',
          message: `${rules.length.toLocaleString('en-US')} rules; a policy may have at most ${MAX_POLICY_RULES.toLocaleString('en-US')}`,
        },
      ],
    };
  return parsePolicy(value);
}

export function readPolicyFile(path: string | URL): PolicyParseResult {
  let text: string;
  try {
    const { size } = statSync(path);
    if (size > MAX_POLICY_BYTES)
      return {
        ok: false,
        issues: [
          {
            path: '',
            message: `${size.toLocaleString('en-US')} bytes; a policy file may be at most ${MAX_POLICY_BYTES.toLocaleString('en-US')} bytes`,
          },
        ],
      };
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: String(path), message: `cannot read the policy: ${(error as Error).message}` }],
    };
  }
  return parsePolicyText(text);
}
