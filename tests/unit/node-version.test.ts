import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// docs/decisions/node-version.md: Node 20.19+ or 22 for the local tools, the SDK's notice off for them.
const root = new URL('../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(new URL(path, new URL('../../', import.meta.url)), 'utf8');
const OPT_OUT = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

describe('the supported Node versions', () => {
  const supported = '^20.19.0 || >=22';
  it('package.json and the local cloud package say Node 20.19+ or 22', () => {
    expect(JSON.parse(read('package.json')).engines.node).toBe(supported);
    expect(JSON.parse(read('local-cloud/package.json')).engines.node).toBe(supported);
    const lock = JSON.parse(read('package-lock.json'));
    expect(lock.packages[''].engines.node).toBe(supported);
    expect(lock.packages['local-cloud'].engines.node).toBe(supported);
  });

  it('the README states the same versions wherever it says which Node.js to use', () => {
    const readme = read('README.md').replace(/\s+/g, ' ');
    const stated = [...readme.matchAll(/Node\.js (\d+(?:\.\d+)*\+?(?: or \d+(?:\.\d+)*\+?)*)/g)].map((m) =>
      m[1]?.trim(),
    );
    expect(stated.length).toBeGreaterThanOrEqual(2);
    for (const versions of stated) expect(versions).toBe('20.19+ or 22');
  });

  it('the deployed functions never opt out of the notice', () => {
    expect(read('template.yaml')).not.toContain(OPT_OUT);
  });
});

describe('npm start on this Node', () => {
  it('prints no AWS SDK Node version notice', () => {
    // Without the variable in the environment: only the npm script may set it.
    const env = { ...process.env };
    delete env[OPT_OUT];
    const result = spawnSync('npm', ['start', '--silent'], { cwd: root, encoding: 'utf8', env });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|NodeDeprecationWarning|node >=22/);
  }, 60_000);
});
