/**
 * Seeding shared by the benchmarks: partners written straight to the table as onboarded (an active Stripe account),
 * the way the onboarding flow leaves them, without going through it N times. Imported after the local stack has set
 * the environment (the adapters read it when first used).
 */
export async function seedOnboardedPartners(
  partners: ReadonlyArray<{ id: string; account: string }>,
  at: string,
): Promise<void> {
  const { partnerItem } = await import('#adapters/dynamodb/partner-repository');
  const { batchPutAll } = await import('#adapters/dynamodb/query');
  const { newPartner } = await import('#core/partner-access');
  await batchPutAll(
    partners.map((p) =>
      partnerItem({
        ...newPartner({
          id: p.id,
          kind: 'personal',
          name: p.id,
          country: 'US',
          defaultCurrency: 'usd',
          contactEmail: null,
          at,
        }),
        stripeAccountId: p.account,
        stateAsOf: at,
        status: 'active',
      }),
    ),
  );
}
