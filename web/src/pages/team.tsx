import { useState } from 'preact/hooks';
import type {
  AcceptInvitationResponse201,
  CreateInvitationResponse201,
  CreateListingResponse201,
  CreatePaymentRequestResponse201,
  CreateTeamPartnerResponse201,
  GetMyPartnerResponse200,
  ListInvitationsResponse200,
  ListMyPartnersResponse200,
  ListPartnerListingsResponse200,
  ListPartnerMembersResponse200,
  ListPaymentRequestsResponse200,
} from '../../../local/api-types.ts';
import { del, get, post } from '../api.ts';
import { date, money, toMinor } from '../format.ts';
import { scope, setScopedPartner, useScope } from '../partner-scope.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Badge, ErrorNote, Loading, Page, useLoad } from '../ui.tsx';

const shareLink = (path: string) => `${location.origin}${href(path)}`;

export function Team() {
  const partnerId = useScope();
  const partners = useLoad(() => get<ListMyPartnersResponse200>('/partners'), []);
  const team = partners.data?.partners.find((p) => p.id === partnerId);
  const [name, setName] = useState('');
  return (
    <Page title="Team">
      <ErrorNote error={partners.error} />
      {partners.loading && !partners.data && <Loading what="your teams" />}
      {partners.data && (
        <section class="card" aria-labelledby="teams-title">
          <h2 id="teams-title">Your partners</h2>
          <ul class="plain">
            {partners.data.partners.map((p) => (
              <li key={p.id}>
                <strong>{p.name}</strong>{' '}
                <span class="muted">
                  ({p.kind}, {p.role})
                </span>{' '}
                <Badge value={p.status} />{' '}
                {p.kind === 'team' && p.id !== partnerId && (
                  <button type="button" class="link" onClick={() => setScopedPartner(p.id)}>
                    Manage {p.name}
                  </button>
                )}
              </li>
            ))}
          </ul>
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
            }}
          >
            <label for="team-name">New team name</label>
            <input id="team-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            <ActionButton
              disabled={name.trim() === ''}
              onClick={async () => {
                const created = await post<CreateTeamPartnerResponse201>('/partners', { name: name.trim() });
                setName('');
                setScopedPartner(created.id);
                partners.reload();
              }}
            >
              Create team
            </ActionButton>
          </form>
        </section>
      )}
      {team && <TeamMembers partnerId={team.id} canManage={team.role !== 'member'} />}
      {new URLSearchParams(location.search).has('joined') && (
        <p class="notice info" role="status">
          You joined the team: choose it above to manage it.
        </p>
      )}
      {partners.data && !team && <p class="muted">Create or choose a team to invite people.</p>}
    </Page>
  );
}

function TeamMembers(props: { partnerId: string; canManage: boolean }) {
  const id = encodeURIComponent(props.partnerId);
  const members = useLoad(() => get<ListPartnerMembersResponse200>(`/partners/${id}/members`), [props.partnerId]);
  const invitations = useLoad(
    () =>
      props.canManage
        ? get<ListInvitationsResponse200>(`/partners/${id}/invitations`)
        : Promise.resolve({ invitations: [] }),
    [props.partnerId],
  );
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [link, setLink] = useState<string | null>(null);
  return (
    <>
      <section class="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <ErrorNote error={members.error} />
        <ul class="plain">
          {members.data?.members.map((m) => (
            <li key={m.userSub}>
              {m.email ?? m.userSub} <span class="muted">({m.role})</span>
            </li>
          ))}
        </ul>
      </section>
      {props.canManage && (
        <section class="card" aria-labelledby="invite-title">
          <h2 id="invite-title">Invitations</h2>
          <form class="stack" onSubmit={(e) => e.preventDefault()}>
            <label for="invite-email">Email address</label>
            <input
              id="invite-email"
              type="email"
              autoComplete="off"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
            <label for="invite-role">Role</label>
            <select
              id="invite-role"
              value={role}
              onChange={(e) => setRole(e.currentTarget.value as 'member' | 'admin')}
            >
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
            <ActionButton
              class="primary"
              onClick={async () => {
                const created = await post<CreateInvitationResponse201>(`/partners/${id}/invitations`, {
                  email: email.trim(),
                  role,
                });
                setLink(shareLink(`/invitations/${encodeURIComponent(created.token)}`));
                setEmail('');
                invitations.reload();
              }}
            >
              Invite
            </ActionButton>
          </form>
          {link && (
            <p role="status">
              Send this link to the invitee (shown once): <code data-testid="invitation-link">{link}</code>
            </p>
          )}
          <ErrorNote error={invitations.error} />
          <ul class="plain">
            {invitations.data?.invitations.map((i) => (
              <li key={i.id}>
                {i.email}{' '}
                <span class="muted">
                  ({i.role}, until {date(i.expiresAt)})
                </span>{' '}
                <Badge value={i.status} />{' '}
                {i.status === 'pending' && (
                  <ActionButton
                    class="link"
                    onClick={async () => {
                      await del(`/partners/${id}/invitations/${encodeURIComponent(i.id)}`);
                      invitations.reload();
                    }}
                  >
                    Revoke
                  </ActionButton>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

export function AcceptInvitation(props: { token: string }) {
  return (
    <Page title="Join a team">
      <p>You were invited to a team on this platform. Accept to see its earnings and payouts.</p>
      <ActionButton
        class="primary"
        onClick={async () => {
          await post<AcceptInvitationResponse201>(`/invitations/${encodeURIComponent(props.token)}/accept`);
          navigate('/team?joined=1');
        }}
      >
        Accept invitation
      </ActionButton>
    </Page>
  );
}

export function Sales() {
  const partnerId = useScope();
  const me = useLoad(() => get<GetMyPartnerResponse200>(`/partners/me${scope()}`), [partnerId]);
  return (
    <Page title="Sales">
      <ErrorNote error={me.error} />
      {me.data && <Listings partner={me.data} />}
      {me.data && <PaymentRequests partner={me.data} />}
    </Page>
  );
}

function Listings(props: { partner: GetMyPartnerResponse200 }) {
  const { partner } = props;
  const listings = useLoad(
    () => get<ListPartnerListingsResponse200>(`/partners/${encodeURIComponent(partner.id)}/listings`),
    [partner.id],
  );
  const [title, setTitle] = useState('');
  const [price, setPrice] = useState('');
  const [capacity, setCapacity] = useState('');
  const currency = partner.defaultCurrency;
  return (
    <section class="card" aria-labelledby="listings-title">
      <h2 id="listings-title">Listings</h2>
      <ErrorNote error={listings.error} />
      <ul class="plain">
        {listings.data?.listings.map((l) => (
          <li key={l.id}>
            <strong>{l.title}</strong> {money(l.unitAmount, l.currency)}
            {l.remaining !== undefined ? <span class="muted"> · {l.remaining} left</span> : null}{' '}
            <a href={href(`/buy/${l.id}`)}>Customer page</a>
          </li>
        ))}
      </ul>
      <form class="stack" onSubmit={(e) => e.preventDefault()}>
        <label for="listing-title">Title</label>
        <input id="listing-title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        <label for="listing-price">Price ({currency.toUpperCase()})</label>
        <input id="listing-price" inputMode="decimal" value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
        <label for="listing-capacity">Capacity (optional)</label>
        <input
          id="listing-capacity"
          inputMode="numeric"
          value={capacity}
          onInput={(e) => setCapacity(e.currentTarget.value)}
        />
        <ActionButton
          onClick={async () => {
            const unitAmount = toMinor(price, currency);
            if (unitAmount === null) throw new Error('Enter a price such as 25 or 25.50.');
            await post<CreateListingResponse201>('/listings', {
              ...(partner.kind === 'team' ? { partnerId: partner.id } : {}),
              title: title.trim(),
              unitAmount,
              currency,
              ...(capacity.trim() ? { capacity: Number(capacity) } : {}),
            });
            setTitle('');
            setPrice('');
            setCapacity('');
            listings.reload();
          }}
        >
          Add listing
        </ActionButton>
      </form>
    </section>
  );
}

function PaymentRequests(props: { partner: GetMyPartnerResponse200 }) {
  const { partner } = props;
  const requests = useLoad(() => get<ListPaymentRequestsResponse200>(`/payment-requests${scope()}`), [partner.id]);
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [kind, setKind] = useState<'deposit' | 'milestone' | 'custom'>('deposit');
  const currency = partner.defaultCurrency;
  return (
    <section class="card" aria-labelledby="requests-title">
      <h2 id="requests-title">Payment requests</h2>
      <ErrorNote error={requests.error} />
      <ul class="plain">
        {requests.data?.paymentRequests.map((r) => (
          <li key={r.id}>
            {r.description} {money(r.amount, r.currency)} <Badge value={r.status} />{' '}
            <a href={href(`/pay/${r.id}`)}>Payment page</a>
          </li>
        ))}
      </ul>
      <form class="stack" onSubmit={(e) => e.preventDefault()}>
        <label for="request-description">Description</label>
        <input id="request-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        <label for="request-amount">Amount ({currency.toUpperCase()})</label>
        <input
          id="request-amount"
          inputMode="decimal"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <label for="request-kind">Kind</label>
        <select id="request-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as typeof kind)}>
          <option value="deposit">Deposit</option>
          <option value="milestone">Milestone</option>
          <option value="custom">Custom</option>
        </select>
        <ActionButton
          onClick={async () => {
            const minor = toMinor(amount, currency);
            if (minor === null) throw new Error('Enter an amount such as 100 or 99.50.');
            await post<CreatePaymentRequestResponse201>('/payment-requests', {
              ...(partner.kind === 'team' ? { partnerId: partner.id } : {}),
              amount: minor,
              currency,
              kind,
              description: description.trim(),
            });
            setAmount('');
            setDescription('');
            requests.reload();
          }}
        >
          Request payment
        </ActionButton>
      </form>
    </section>
  );
}
