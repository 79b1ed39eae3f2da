import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apiClient, pathOf } from '#local/api-client';
import { stackInfo, uniqueEmail, user } from '#tests/local';
import { freshPeriod, opsToken, settledRun } from '#tests/payouts';

/**
 * The typed client (local/api-client.ts) against the local stack: path, query and body are sent where the contract
 * says, documented answers come back typed by status, refusals as the error envelope.
 */
describe('the typed API client', () => {
  it('fills and encodes path parameters, and refuses a missing one', () => {
    expect(pathOf('/partners/{partnerId}/members/{userSub}', { partnerId: 'ptn_1', userSub: 'a/b c' })).toBe(
      '/partners/ptn_1/members/a%2Fb%20c',
    );
    expect(() => pathOf('/admin/payout-runs/{runId}', {})).toThrow(/runId/);
  });

  it('answers documented successes typed by status, with params and bodies, and 204 without a body', async () => {
    const publicClient = apiClient({ baseUrl: stackInfo().apiUrl });
    const health = await publicClient.call('health');
    expect(health).toMatchObject({ ok: true, status: 200, body: { status: 'ok' } });

    const owner = await user(uniqueEmail('client-owner'));
    const invitee = await user(uniqueEmail('client-invitee'));
    const client = apiClient({ baseUrl: stackInfo().apiUrl, token: owner.idToken });

    const team = await client.call('createTeamPartner', { body: { name: 'Client team' } });
    if (!team.ok || team.status !== 201) throw new Error(`createTeamPartner: ${JSON.stringify(team.body)}`);
    expect(team.body).toMatchObject({ name: 'Client team', kind: 'team', role: 'owner' });
    const partnerId = team.body.id;

    const invited = await client.call('createInvitation', {
      params: { partnerId },
      body: { email: invitee.email, role: 'member' },
    });
    if (!invited.ok) throw new Error(`createInvitation: ${JSON.stringify(invited.body)}`);
    expect(invited).toMatchObject({
      status: 201,
      body: { invitation: { partnerId, email: invitee.email, role: 'member', status: 'pending' } },
    });
    const { invitation, token } = invited.body;
    expect(invited.body.acceptPath).toBe(`/invitations/${token}/accept`);

    const pending = await client.call('listInvitations', { params: { partnerId } });
    if (!pending.ok) throw new Error(`listInvitations: ${JSON.stringify(pending.body)}`);
    expect(pending.body.invitations).toEqual([invitation]);

    const revoked = await client.call('revokeInvitation', { params: { partnerId, invitationId: invitation.id } });
    expect(revoked).toMatchObject({ ok: true, status: 204, body: undefined });

    const listed = await client.call('listInvitations', { params: { partnerId } });
    if (!listed.ok) throw new Error(`listInvitations: ${JSON.stringify(listed.body)}`);
    expect(listed.body.invitations.map((i) => [i.id, i.status])).toEqual([[invitation.id, 'revoked']]);

    const inviteeClient = apiClient({ baseUrl: stackInfo().apiUrl, token: invitee.idToken });
    const refused = await inviteeClient.call('acceptInvitation', { params: { token } });
    expect(refused).toMatchObject({ ok: false, status: 409, body: { error: { code: 'invitation_not_pending' } } });

    const members = await client.call('listPartnerMembers', { params: { partnerId } });
    if (!members.ok) throw new Error(`listPartnerMembers: ${JSON.stringify(members.body)}`);
    expect(members.body.members.map((m) => m.role)).toEqual(['owner']);
  });

  it('answers refusals as the error envelope, and text for a CSV answer', async () => {
    const admin = apiClient({ baseUrl: stackInfo().apiUrl, token: await opsToken() });
    const missing = await admin.call('getPayoutRun', { params: { runId: 'run_1999-01' } });
    expect(missing).toMatchObject({ ok: false, status: 404, body: { error: { code: 'run_not_found' } } });

    const anonymous = await apiClient({ baseUrl: stackInfo().apiUrl }).call('getMe');
    expect(anonymous).toMatchObject({ ok: false, status: 401 });

    const invalid = await admin.call('startPayoutRun', { body: { period: '2026-13' } });
    expect(invalid).toMatchObject({ ok: false, status: 400, body: { error: { code: 'validation_error' } } });

    const { period } = await freshPeriod();
    const started = await admin.call('startPayoutRun', { body: { period } });
    expect(started).toMatchObject({ ok: true, status: 202, body: { created: true, run: { period } } });
    await settledRun(period);

    const json = await admin.call('getPayoutRun', { params: { runId: `run_${period}` } });
    if (!json.ok || typeof json.body === 'string') throw new Error(`getPayoutRun: ${JSON.stringify(json.body)}`);
    expect(json.body).toMatchObject({ id: `run_${period}`, period });

    const csv = await admin.call('getPayoutRun', { params: { runId: `run_${period}` }, query: { format: 'csv' } });
    expect(csv.ok && typeof csv.body === 'string' && csv.body.split('\r\n')[0]).toBe(
      'partner_id,currency,amount_minor_units,status,payout_id,stripe_transfer_id,reason',
    );
  });
});

/** The operator CLI talks to the API only through the typed client: run it as an operator would. */
describe('the operator CLI (npm run payouts) over the typed client', () => {
  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'local/payouts-cli.ts', ...args],
        { cwd: path.resolve(import.meta.dirname, '../..'), timeout: 60_000 },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };

  it('dry-runs, starts and watches a run, saves its CSV, and reports a refusal with its code', async () => {
    const target = ['--api', stackInfo().apiUrl, '--token', await opsToken()];
    const { period } = await freshPeriod();

    const dry = await cli(['--period', period, '--dry-run', ...target]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`dry run of run_${period} (nothing written)`);

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'payouts-cli-')), 'run.csv');
    const run = await cli(['--period', period, '--watch', '--interval', '0.2', '--csv', file, ...target]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`started run_${period}`);
    expect(run.stdout).toContain('status completed');
    expect(readFileSync(file, 'utf8').split('\r\n')[0]).toBe(
      'partner_id,currency,amount_minor_units,status,payout_id,stripe_transfer_id,reason',
    );

    const member = await user(uniqueEmail('cli-not-admin'));
    const refused = await cli(['--period', period, '--status', '--api', stackInfo().apiUrl, '--token', member.idToken]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`GET /admin/payout-runs/run_${period} → HTTP 403 forbidden`);
  });
});
