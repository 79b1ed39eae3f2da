import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { readNagFindings } from './synth.ts';

/** Positive control for the "cdk-nag is clean" assertions: the way the tests read findings does see a violation. */
describe('reading cdk-nag findings', () => {
  const synthQueue = (acknowledge: boolean) => {
    const app = new App({
      outdir: mkdtempSync(path.join(tmpdir(), 'connect-payouts-nag-')),
      context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
    });
    const queue = new Queue(new Stack(app, 'Probe'), 'NoDeadLetterQueue', { enforceSSL: true });
    if (acknowledge) Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'test' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return readNagFindings(app.synth().directory);
  };

  it('reports an unacknowledged error', () => {
    expect(synthQueue(false)).toEqual([
      expect.objectContaining({
        ruleName: 'AwsSolutions-SQS3',
        severity: 'error',
        constructPaths: ['Probe/NoDeadLetterQueue/Resource'],
      }),
    ]);
  });

  it('drops it once acknowledged', () => {
    expect(synthQueue(true)).toEqual([]);
  });
});
