/**
 * The programs as users type them: after `npm ci` and the build, `npx orchestrator ...` and
 * `npx worker ...` work from the repository root. npm links a workspace's bin at install time,
 * before dist/ exists, so the bins are small files that exist from the start and load dist/.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

describe('commands on the PATH', () => {
  for (const program of ['orchestrator', 'worker']) {
    it(`npx ${program} runs the built program`, () => {
      expect(readlinkSync(join(root, 'node_modules', '.bin', program))).toBe(`../@denoise-sweep/${program}/bin/${program}.js`);
      const r = spawnSync('npx', ['--no-install', program, '--help'], { cwd: root, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ${program} `));
    });
  }
});
