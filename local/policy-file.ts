/**
 * Reads a policy file (YAML or JSON) for the command line, the demo and the build. The Lambda never
 * parses YAML: it loads the JSON compiled from `config/default-policy.yaml`, or JSON from SSM.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { ValidationIssue } from '#domain/json-schema';
import { type PolicyParseResult, parsePolicy } from '#domain/policy';

export const DEFAULT_POLICY_YAML = new URL('../config/default-policy.yaml', import.meta.url);

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
  return parsePolicy(document.toJS());
}

export function readPolicyFile(path: string | URL): PolicyParseResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: String(path), message: `cannot read the policy: ${(error as Error).message}` }],
    };
  }
  return parsePolicyText(text);
}
