-- A draw is audited, in its own transaction: `actor` (the admin who pressed "Draw now", a key,
-- or `system` for a draw that ran by itself at draw_at) did `action` (`draw.run`), with the
-- entries, winners, beacon, tickets digest and time of the draw. draw_settle takes the two as
-- arguments, as give_beacon does; otherwise it is the function of 20261207000002. A server of
-- the previous version calls the old signature, which is gone: its draws fail (and are tried
-- again each second) until it is replaced; the draw is made once either way.

-- On Citus, the commands on shards run one connection per worker; elsewhere a setting of no
-- effect.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

DROP FUNCTION draw_settle(TEXT, TEXT, TEXT[], BYTEA[], TEXT);

CREATE FUNCTION draw_settle(coupon TEXT, beacon_used TEXT, users TEXT[], tickets BYTEA[],
                            digest TEXT, actor TEXT, action TEXT,
                            OUT outcome TEXT, OUT drawn_at TIMESTAMPTZ,
                            OUT winners TEXT[], OUT won_at TIMESTAMPTZ[], OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    c coupons;
    n BIGINT;
    ids BIGINT[];
    times TIMESTAMPTZ[];
    ranks BIGINT[];
BEGIN
    winners := '{}';
    won_at := '{}';
    wake := false;
    SELECT * INTO c FROM coupons WHERE name = coupon FOR UPDATE;
    outcome := CASE
        WHEN NOT FOUND THEN 'not_found'
        WHEN c.allocation <> 'draw' THEN 'first_come'
        WHEN c.drawn_at IS NOT NULL THEN 'already_drawn'
        WHEN at < c.ends_at THEN 'open'
        WHEN c.beacon_required AND c.beacon IS NULL THEN 'beacon_missing'
        WHEN c.beacon IS DISTINCT FROM beacon_used THEN 'beacon_changed'
    END;
    drawn_at := c.drawn_at;
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT count(*) INTO n FROM entries e WHERE e.coupon_name = coupon;
    IF n <> cardinality(users) OR cardinality(users) <> cardinality(tickets) THEN
        outcome := 'entries_changed';
        RETURN;
    END IF;
    INSERT INTO draw_tickets (coupon_name, rank, ticket, user_id, won)
    SELECT k.name, t.ord, t.ticket, t.user_id, t.ord <= k.amount
    FROM coupons k CROSS JOIN unnest(users, tickets) WITH ORDINALITY AS t(user_id, ticket, ord)
    WHERE k.name = coupon;
    -- The winners' claims in rank order: ids and times first, then one insert with the coupon's
    -- row (as claim_batch does).
    SELECT array_agg(nextval('claims_id_seq')), array_agg(clock_timestamp())
    INTO ids, times FROM unnest(users[1:c.amount]);
    -- (No winner holds a claim: a draw coupon has none before its draw.)
    INSERT INTO claims (id, user_id, coupon_name, claimed_at) OVERRIDING SYSTEM VALUE
    SELECT u.id, u.user_id, k.name, u.at
    FROM coupons k CROSS JOIN unnest(users[1:c.amount], ids, times)
                              WITH ORDINALITY AS u(user_id, id, at, ord)
    WHERE k.name = coupon ORDER BY u.ord;
    winners := users[1:c.amount];
    won_at := coalesce(times, '{}');
    UPDATE coupons SET remaining_amount = remaining_amount - cardinality(winners),
                       drawn_at = at, version = version + 1
    WHERE name = coupon RETURNING * INTO c;
    UPDATE draws SET entries = n, winners = cardinality(draw_settle.winners),
                     tickets_digest = digest
    WHERE coupon_name = coupon;
    drawn_at := at;
    outcome := 'drawn';
    INSERT INTO audit_log (actor, action, coupon_name, before, after)
    VALUES (actor, action, coupon, NULL,
            jsonb_build_object('entries', n, 'winners', cardinality(winners),
                               'beacon', c.beacon, 'tickets_digest', digest,
                               'drawn_at', utc_text(at)));
    wake := claims_made(coupon, winners, won_at, c);
    SELECT array_agg(r) INTO ranks FROM generate_series(1, cardinality(users)) AS r;
    wake := entries_announced(coupon, 'entry.won', users[1:c.amount], ranks[1:c.amount], at,
                              '{}', NULL) OR wake;
    wake := entries_announced(coupon, 'entry.waitlisted', users[c.amount + 1:],
                              ranks[c.amount + 1:], at, '{}', c.amount) OR wake;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_distributed_function(
        'draw_settle(text, text, text[], bytea[], text, text, text)', '$1',
        colocate_with => 'coupons');
END
$$;
