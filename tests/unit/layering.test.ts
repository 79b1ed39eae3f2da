import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layering guardrail: a lint rule (biome.json's override for functions/core) keeps the pure core free of SDK,
 * adapter, middleware and configuration imports. Checked here on the real tree, with a positive control that the
 * rule fires on a forbidden import.
 */
const root = path.resolve(import.meta.dirname, '../..');
const biome = path.join(root, 'node_modules/.bin/biome');
const scratch = mkdtempSync(path.join(tmpdir(), 'layering-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lint(cwd: string, target: string): { ok: boolean; output: string } {
  try {
    const output = execFileSync(biome, ['lint', '--vcs-enabled=false', '--max-diagnostics=50', target], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('functions/core stays pure', () => {
  it('imports no SDK, adapter, middleware or configuration module', () => {
    const result = lint(root, 'functions/core');
    expect(result.output).not.toMatch(/noRestrictedImports/);
    expect(result.ok).toBe(true);
  });

  it.each([
    ["import Stripe from 'stripe';", 'imports no SDK'],
    ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", 'imports no SDK'],
    ["import { config } from '#config';", 'imports no adapter'],
    ["import { x } from '#adapters/secrets';", 'imports no adapter'],
  ])('the rule fires on `%s` (positive control)', (statement, message) => {
    copyFileSync(path.join(root, 'biome.json'), path.join(scratch, 'biome.json'));
    mkdirSync(path.join(scratch, 'functions/core'), { recursive: true });
    writeFileSync(path.join(scratch, 'functions/core/probe.ts'), `${statement}\nexport const probe = 1;\n`);
    const result = lint(scratch, 'functions/core/probe.ts');
    expect(result.ok).toBe(false);
    expect(result.output).toContain(message);
  });
});
