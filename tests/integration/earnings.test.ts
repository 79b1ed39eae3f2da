import { beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '#config';
import { functionEnvironment } from '#local/stack';
import { joinTeam, newPartnerUser } from '#tests/connect';
import { api, stackInfo, uniqueEmail, user } from '#tests/local';
import {
  activePayee,
  admin,
  customer,
  earnings,
  expectBalanced,
  ledgerOf,
  paidIntent,
  queryTable,
} from '#tests/payments';

/** POST /admin/earnings (platform-held earnings), GET /earnings, GET /payouts, and the payout planner's index. */

const DAY = 86_400_000;
let ops: Awaited<ReturnType<typeof admin>>;

beforeAll(async () => {
  ops = await admin();
});

const record = (body: unknown) =>
  api<{ earnings: Array<Record<string, unknown>>; error?: { code: string } }>('POST', '/admin/earnings', {
    token: ops.idToken,
    body,
  });

const externalId = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

describe('platform-held earnings', () => {
  it('is idempotent on externalId: the same body gives the same result, another body is a conflict', async () => {
    const partner = await newPartnerUser('held-idem');
    const earning = {
      partnerId: partner.partnerId,
      amount: 1_234,
      currency: 'usd',
      externalId: externalId('ref'),
      description: 'Referral: order 991',
    };
    const first = await record(earning);
    expect(first.status).toBe(201);
    expect(first.body.earnings).toEqual([
      expect.objectContaining({ externalId: earning.externalId, amount: 1_234, entryId: `held:${earning.externalId}` }),
    ]);
    const again = await record(earning);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    const changed = await record({ ...earning, amount: 1_235 });
    expect(changed.status).toBe(409);
    expect(changed.body.error?.code).toBe('external_id_conflict');
    expect((await ledgerOf(partner.partnerId)).entries.map((e) => e.amount)).toEqual([1_234]);

    // A batch replays what exists and records what is new; a batch with any conflict records nothing.
    const next = { ...earning, externalId: externalId('ref'), amount: 700 };
    const batch = await record({ earnings: [earning, next] });
    expect(batch.status).toBe(201);
    expect(batch.body.earnings.map((e) => e.amount)).toEqual([1_234, 700]);
    const mixed = await record({
      earnings: [
        { ...next, externalId: externalId('ref') },
        { ...earning, description: 'x' },
      ],
    });
    expect(mixed.status).toBe(409);
    expect((await ledgerOf(partner.partnerId)).entries).toHaveLength(2);
    expect(await expectBalanced(partner.partnerId)).toEqual({ usd: 1_934 });
  });

  it('refuses unknown partners, duplicate ids, bad amounts and non-admins, writing nothing', async () => {
    const partner = await newPartnerUser('held-bad');
    const good = { partnerId: partner.partnerId, amount: 500, currency: 'usd', description: 'Bonus' };
    const unknown = await record({
      earnings: [
        { ...good, externalId: externalId('a') },
        { ...good, partnerId: 'ptn_000000000000000000000000', externalId: externalId('b') },
      ],
    });
    expect(unknown.status).toBe(404);
    const id = externalId('dup');
    const dup = await record({
      earnings: [
        { ...good, externalId: id },
        { ...good, externalId: id },
      ],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.error?.code).toBe('duplicate_external_id');
    for (const bad of [
      { ...good, externalId: externalId('c'), amount: 0 },
      { ...good, externalId: externalId('c'), amount: -5 },
      { ...good, externalId: externalId('c'), amount: 1.5 },
      { ...good, externalId: externalId('c'), currency: 'zzz' },
      { ...good, externalId: 'has spaces' },
      { ...good, externalId: externalId('c'), availableAt: 'tomorrow' },
    ]) {
      const refused = await record(bad);
      expect(refused.status, JSON.stringify(bad)).toBe(400);
    }
    const notAdmin = await api('POST', '/admin/earnings', {
      token: partner.idToken,
      body: { ...good, externalId: externalId('d') },
    });
    expect(notAdmin.status).toBe(403);
    expect((await ledgerOf(partner.partnerId)).entries).toEqual([]);
  });

  it('is pending during the holding period and available after it; the planner finds available ones on GSI3', async () => {
    const partner = await newPartnerUser('held-avail');
    const now = Date.now();
    const ids = { past: externalId('past'), future: externalId('future'), auto: externalId('auto') };
    const created = await record({
      earnings: [
        {
          partnerId: partner.partnerId,
          amount: 300,
          currency: 'usd',
          externalId: ids.past,
          description: 'Old',
          availableAt: new Date(now - DAY).toISOString(),
        },
        {
          partnerId: partner.partnerId,
          amount: 400,
          currency: 'usd',
          externalId: ids.future,
          description: 'New',
          availableAt: new Date(now + DAY).toISOString(),
        },
        {
          partnerId: partner.partnerId,
          amount: 500,
          currency: 'usd',
          externalId: ids.auto,
          description: 'Default hold',
        },
      ],
    });
    expect(created.status).toBe(201);
    const history = await earnings(partner.idToken);
    const status = Object.fromEntries(history.body.entries.map((e) => [e.reference, e.payoutStatus]));
    expect(status).toEqual({ [ids.past]: 'available', [ids.future]: 'pending', [ids.auto]: 'pending' });
    const auto = history.body.entries.find((e) => e.reference === ids.auto);
    expect(Date.parse(String(auto?.availableAt)) - now).toBeGreaterThan(6.9 * DAY);

    // The payout planner's query: held entries available by a time, across partners, from the index.
    Object.assign(process.env, functionEnvironment(stackInfo(), 'unused', ''));
    resetConfigForTests();
    const { dynamoLedgerStore } = await import('#adapters/dynamodb/ledger-store');
    const collect = async (at: number) => {
      const found: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await dynamoLedgerStore.heldAvailableBy('usd', at, { limit: 2, ...(cursor ? { cursor } : {}) });
        found.push(...page.entries.filter((e) => e.partnerId === partner.partnerId).map((e) => e.reference));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return found;
    };
    expect(await collect(now)).toEqual([ids.past]);
    expect(await collect(now + 2 * DAY)).toEqual([ids.past, ids.future]);
    expect(await collect(now + 8 * DAY)).toEqual([ids.past, ids.future, ids.auto]);
    // Sparse: destination-charge entries (already transferred) are never in it.
    const { heldIndexPartitions } = await import('#adapters/dynamodb/payment-keys');
    const indexed = (
      await Promise.all(
        heldIndexPartitions('usd').map((pk) =>
          queryTable({
            IndexName: 'GSI3',
            KeyConditionExpression: 'GSI3PK = :pk',
            ExpressionAttributeValues: { ':pk': pk },
          }),
        ),
      )
    ).flat();
    expect(indexed.length).toBeGreaterThan(0);
    expect(indexed.every((item) => item.payoutStatus === 'pending' && item.type !== 'transfer')).toBe(true);
  });
});

describe('GET /earnings', () => {
  it('shows only the partner share with summaries per currency, newest first, paginated and filtered', async () => {
    const payee = await activePayee('earn-list');
    const buyer = await customer();
    await paidIntent(buyer.idToken, payee, 10_000, 'Ride 1');
    await paidIntent(buyer.idToken, payee, 2_500, 'Ride 2');
    await record({
      earnings: [
        { partnerId: payee.partnerId, amount: 800, currency: 'usd', externalId: externalId('tip'), description: 'Tip' },
        {
          partnerId: payee.partnerId,
          amount: 900,
          currency: 'eur',
          externalId: externalId('eu'),
          description: 'EU bonus',
        },
      ],
    });
    const all = await earnings(payee.idToken);
    expect(all.status).toBe(200);
    // Newest first; both rides were charged within the same second (Stripe's resolution), so their order is open.
    const listed = all.body.entries.map((e) => [e.description, e.amount, e.currency]);
    expect(listed.slice(0, 2)).toEqual([
      ['EU bonus', 900, 'eur'],
      ['Tip', 800, 'usd'],
    ]);
    expect(listed.slice(2)).toEqual(
      expect.arrayContaining([
        ['Ride 2', 2_250, 'usd'],
        ['Ride 1', 9_000, 'usd'],
      ]),
    );
    // The gross (10,000) and the platform fee never appear.
    expect(all.text).not.toMatch(/10000|"gross"|"fee"/);
    expect(all.body.timeZone).toBe('UTC');
    expect(all.body.summary).toEqual({
      usd: { today: 12_050, last7Days: 12_050, last30Days: 12_050, allTime: 12_050 },
      eur: { today: 900, last7Days: 900, last30Days: 900, allTime: 900 },
    });

    const usdOnly = await earnings(payee.idToken, '?currency=USD&limit=2');
    expect(usdOnly.body.entries).toHaveLength(2);
    expect(usdOnly.body.entries[0]?.amount).toBe(800);
    expect(Object.keys(usdOnly.body.summary)).toEqual(['usd']);
    const page2 = await earnings(payee.idToken, `?currency=usd&limit=2&cursor=${usdOnly.body.nextCursor}`);
    expect(page2.body.entries).toHaveLength(1);
    expect([...usdOnly.body.entries, ...page2.body.entries].map((e) => e.amount).sort((a, b) => a - b)).toEqual([
      800, 2_250, 9_000,
    ]);
    expect(page2.body.nextCursor).toBeNull();
    // Calendar days of another time zone: everything here happened within the last minute, so it is "today" there too.
    const kiritimati = await earnings(payee.idToken, '?timeZone=Pacific/Kiritimati&currency=usd');
    expect(kiritimati.body.timeZone).toBe('Pacific/Kiritimati');
    expect(kiritimati.body.summary.usd).toEqual({
      today: 12_050,
      last7Days: 12_050,
      last30Days: 12_050,
      allTime: 12_050,
    });
    const badZone = await api<{ error: { code: string } }>('GET', '/earnings?timeZone=Mars/Olympus', {
      token: payee.idToken,
    });
    expect(badZone.body.error.code).toBe('invalid_time_zone');
    expect((await earnings(payee.idToken, '?cursor=Zm9v')).status).toBe(400);
    expect((await earnings(payee.idToken, '?currency=xyz')).status).toBe(400);
    expect(await expectBalanced(payee.partnerId)).toEqual({ usd: 800, eur: 900 });
  });

  it('lets nobody read another partner’s earnings; team members with a role that may see earnings can', async () => {
    const owner = await user(uniqueEmail('team-owner'));
    const member = await user(uniqueEmail('team-member'));
    const outsider = await newPartnerUser('outsider');
    const team = await api<{ id: string }>('POST', '/partners', { token: owner.idToken, body: { name: 'Night crew' } });
    expect(team.status).toBe(201);
    await joinTeam(owner.idToken, team.body.id, member, 'member');
    await record({
      partnerId: team.body.id,
      amount: 4_200,
      currency: 'usd',
      externalId: externalId('team'),
      description: 'Team commission',
    });

    const asMember = await earnings(member.idToken, `?partnerId=${team.body.id}`);
    expect(asMember.status).toBe(200);
    expect(asMember.body.entries.map((e) => e.amount)).toEqual([4_200]);
    // The member's own (personal) earnings are separate.
    expect((await earnings(member.idToken)).body.entries).toEqual([]);
    // Not a member: indistinguishable from a partner that does not exist.
    const probe = await earnings(outsider.idToken, `?partnerId=${team.body.id}`);
    expect(probe.status).toBe(404);
    expect((await earnings(outsider.idToken)).body.entries).toEqual([]);
    expect((await api('GET', `/payouts?partnerId=${team.body.id}`, { token: outsider.idToken })).status).toBe(404);
    expect((await api('GET', '/earnings')).status).toBe(401);
  });
});

describe('GET /payouts', () => {
  it('returns the partner’s payouts (none until a payout run has paid them)', async () => {
    const partner = await newPartnerUser('payouts');
    const payouts = await api('GET', '/payouts', { token: partner.idToken });
    expect(payouts.status).toBe(200);
    expect(payouts.body).toEqual({ payouts: [], nextCursor: null });
    expect((await api('GET', '/payouts?limit=0', { token: partner.idToken })).status).toBe(400);
  });
});
