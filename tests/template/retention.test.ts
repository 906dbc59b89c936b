/**
 * The retention graph of template.yaml. A resource CloudFormation keeps when the stack is deleted, or
 * when an update removes it (DeletionPolicy Retain), must not refer to anything CloudFormation then
 * deletes: it would outlive what it points at. That was issue #13 item 7: the kept
 * AWS::IoT::AccountAuditConfiguration pointed at deleted roles and a deleted topic.
 */
import { describe, expect, it } from 'vitest';
import { type Json, referencesIn, resources, template } from './support.ts';

const RETAINING = new Set(['Retain', 'RetainExceptOnCreate']);

/**
 * Resources a retained resource may refer to although they are deleted, and why. None today: keep
 * every entry explained.
 */
const EXPLAINED_EXCEPTIONS: Readonly<Record<string, string>> = {};

/** The resources a resource refers to through Ref, GetAtt and Sub (parameters and pseudo parameters aside). */
function referencedResources(id: string): Set<string> {
  const r = resources[id]!;
  return new Set(
    referencesIn(r.Properties as Json)
      .map((ref) => ref.name)
      .filter((name) => name in resources),
  );
}

/** Everything a resource reaches, directly or through what it refers to. */
function reachable(id: string): Set<string> {
  const seen = new Set<string>();
  const visit = (current: string) => {
    for (const next of referencedResources(current))
      if (!seen.has(next)) {
        seen.add(next);
        visit(next);
      }
  };
  visit(id);
  return seen;
}

const retained = Object.entries(resources)
  .filter(([, r]) => RETAINING.has(r.DeletionPolicy ?? ''))
  .map(([id]) => id);

describe('the retention graph', () => {
  it('follows Ref, GetAtt and Sub, transitively', () => {
    // The walker itself: the audit configuration reaches the topic's key through the topic.
    const fromConfiguration = reachable('AuditConfiguration');
    for (const id of ['AuditConfigurationFunction', 'AuditRole', 'AuditNotificationsTopic', 'TopicKey'])
      expect(fromConfiguration.has(id), id).toBe(true);
    // ...and a Sub's ${Resource.Attribute} (the function role's grant on the log group).
    expect(referencedResources('AuditConfigurationRole').has('AuditConfigurationLogGroup')).toBe(true);
  });

  it('retains the audit role the account keeps using', () => {
    expect(retained).toContain('AuditRole');
  });

  it.each(retained.map((id) => [id]))(
    '%s refers, directly or not, only to resources that are retained too',
    (id) => {
      const deleted = [...reachable(id)].filter(
        (target) =>
          !RETAINING.has(resources[target]!.DeletionPolicy ?? '') && !(target in EXPLAINED_EXCEPTIONS),
      );
      expect(deleted).toEqual([]);
    },
  );

  it.each(retained.map((id) => [id]))('%s is retained on replacement too', (id) => {
    expect(resources[id]!.UpdateReplacePolicy).toBe('Retain');
  });

  it.each(retained.map((id) => [id]))(
    '%s has no fixed name, so the next deployment creates a new one instead of failing on it',
    (id) => {
      const named = Object.keys(resources[id]!.Properties ?? {}).filter((key) => /Name$/.test(key));
      expect(named).toEqual([]);
    },
  );

  it('keeps every explained exception explained and still needed', () => {
    for (const [id, why] of Object.entries(EXPLAINED_EXCEPTIONS)) {
      expect(why.length, id).toBeGreaterThan(20);
      expect(
        retained.some((r) => reachable(r).has(id)),
        id,
      ).toBe(true);
    }
  });

  it('deletes the audit configuration resource itself: its Delete turns the notifications off', () => {
    const configuration = resources.AuditConfiguration!;
    expect(configuration.Type).toBe('AWS::CloudFormation::CustomResource');
    expect(RETAINING.has(configuration.DeletionPolicy ?? '')).toBe(false);
    expect(RETAINING.has(configuration.UpdateReplacePolicy ?? '')).toBe(false);
  });

  it('names the retained resources in the outputs, where the operator finds them after a delete', () => {
    const outputs = JSON.stringify(template.Outputs);
    for (const id of retained) expect(outputs, id).toContain(id);
  });
});
