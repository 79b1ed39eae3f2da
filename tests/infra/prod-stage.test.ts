import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId } from './route-assertions.ts';
import { type Synthesized, synth } from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = synth(
    { stage: 'prod', appUrl: 'https://partners.example.com', alarmEmail: 'ops@example.com', platformFeeBps: '750' },
    { bundle: false },
  );
});

describe('prod stage', () => {
  it('keeps the table on stack deletion and turns on deletion protection', () => {
    const table = s.template.toJSON().Resources[logicalId(s.stack.table)];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('keeps the user pool and secrets, with deletion protection on the pool', () => {
    const pool = s.template.toJSON().Resources[logicalId(s.stack.userPool)];
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(pool.Properties.DeletionProtection).toBe('ACTIVE');
    for (const secret of Object.values(s.stack.secrets)) {
      expect(s.template.toJSON().Resources[logicalId(secret)].DeletionPolicy).toBe('Retain');
    }
  });

  it('requires MFA (TOTP) and does not enable ADMIN_USER_PASSWORD_AUTH', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
    const client = Object.values(s.template.findResources('AWS::Cognito::UserPoolClient'))[0];
    expect(client?.Properties.ExplicitAuthFlows).toEqual(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });

  it('passes the prod configuration to the functions', () => {
    for (const fn of Object.values(s.template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        STAGE: 'prod',
        APP_URL: 'https://partners.example.com',
        PLATFORM_FEE_BPS: '750',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
    }
  });

  it('runs the planner at 06:00 UTC on the 1st by default', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 6 1 * ? *)' });
  });

  it('is cdk-nag clean', () => {
    expect(s.nag).toEqual([]);
  });
});
