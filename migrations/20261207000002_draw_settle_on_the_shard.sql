-- The draw and the sweep write every row on the coupon's shard, on Citus too (as claim_batch
-- and enter_batch since 20261206000005): an INSERT ... SELECT that reads unnest() alone, or that
-- fills an identity column, cannot be pushed down, and Citus would write its rows to an
-- intermediate result and copy them in. Now:
--   * draw_settle's ranked tickets are inserted with the coupon's row, and its winners' claims
--     take their ids and times first, as claim_batch's do;
--   * sweep_claims audits each lapse with a VALUES insert;
--   * entry.won and entry.waitlisted go through one helper, entries_announced (before, two
--     copies of the statement), which writes each outbox row with webhook_emit (VALUES).
-- The tier checks it: server/tests/citus/tasks.rs runs both on the coupon's worker and finds no
-- intermediate result. Outputs, events and their payloads are those of 20261206000003 and
-- 20261206000008.

-- On Citus, the commands on shards run one connection per worker; elsewhere a setting of no
-- effect.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

-- Writes `kind` events (entry.won, entry.waitlisted) of `users` at `ranks` (both in rank order),
-- at most 1,000 per outbox row, when an endpoint subscribes: each event's data is coupon_name,
-- user_id, rank and drawn_at, with waitlist_position (rank - `waitlist_after`) when that is
-- given, and `extra`'s keys. Returns whether it wrote a row (which wakes the dispatchers).
CREATE FUNCTION entries_announced(coupon TEXT, kind TEXT, users TEXT[], ranks BIGINT[],
                                  drawn_at TIMESTAMPTZ, extra JSONB, waitlist_after INTEGER)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
    chunk JSONB;
    wrote BOOLEAN := false;
BEGIN
    IF cardinality(users) = 0 OR NOT webhook_wanted(kind) THEN
        RETURN false;
    END IF;
    FOR chunk IN
        SELECT jsonb_agg(jsonb_build_object('coupon_name', coupon, 'user_id', u.user_id,
                                            'rank', u.rank, 'drawn_at', drawn_at)
                         || CASE WHEN waitlist_after IS NULL THEN '{}'::JSONB
                                 ELSE jsonb_build_object('waitlist_position',
                                                         u.rank - waitlist_after) END
                         || extra ORDER BY u.rank)
        FROM unnest(users, ranks) AS u(user_id, rank)
        GROUP BY (u.rank - 1) / 1000
        ORDER BY (u.rank - 1) / 1000
    LOOP
        wrote := webhook_emit(coupon, kind, chunk) OR wrote;
    END LOOP;
    RETURN wrote;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_distributed_function(
        'entries_announced(text, text, text[], bigint[], timestamptz, jsonb, integer)');
END
$$;

CREATE OR REPLACE FUNCTION draw_settle(coupon TEXT, beacon_used TEXT, users TEXT[], tickets BYTEA[],
                            digest TEXT, OUT outcome TEXT, OUT drawn_at TIMESTAMPTZ,
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
    wake := claims_made(coupon, winners, won_at, c);
    SELECT array_agg(r) INTO ranks FROM generate_series(1, cardinality(users)) AS r;
    wake := entries_announced(coupon, 'entry.won', users[1:c.amount], ranks[1:c.amount], at,
                              '{}', NULL) OR wake;
    wake := entries_announced(coupon, 'entry.waitlisted', users[c.amount + 1:],
                              ranks[c.amount + 1:], at, '{}', c.amount) OR wake;
END
$$;

CREATE OR REPLACE FUNCTION sweep_claims(coupon TEXT, max_rows INTEGER,
                             OUT lapsed INTEGER, OUT refilled INTEGER, OUT wake BOOLEAN,
                             OUT more BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    c coupons;
    k RECORD;
    upto BIGINT;
    seen INTEGER := 0;
    due BIGINT[] := '{}';
    gone_users TEXT[] := '{}';
    gone_times TIMESTAMPTZ[] := '{}';
    gone_ids BIGINT[] := '{}';
    next_users TEXT[];
    next_ranks BIGINT[];
    ids BIGINT[];
    times TIMESTAMPTZ[];
    claim RECORD;
    gone RECORD;
    made TEXT[] := '{}';
    made_at TIMESTAMPTZ[] := '{}';
BEGIN
    lapsed := 0;
    refilled := 0;
    wake := false;
    more := false;
    SELECT * INTO c FROM coupons x WHERE x.name = coupon FOR UPDATE;
    IF c.name IS NULL THEN
        RETURN;
    END IF;
    IF c.redeem_within IS NOT NULL THEN
        upto := c.lapsed_upto;
        FOR k IN SELECT x.id, x.claimed_at, x.redeemed_at FROM claims x
                 WHERE x.coupon_name = coupon AND x.id > c.lapsed_upto ORDER BY x.id
                 LIMIT max_rows
        LOOP
            EXIT WHEN k.claimed_at > at - make_interval(secs => c.redeem_within);
            seen := seen + 1;
            upto := k.id;
            IF k.redeemed_at IS NULL THEN
                due := due || k.id;
            END IF;
        END LOOP;
        more := seen = max_rows;
        IF cardinality(due) > 0 THEN
            FOR claim IN
                DELETE FROM claims x
                WHERE x.coupon_name = coupon AND x.id = ANY (due) AND x.redeemed_at IS NULL
                RETURNING x.id, x.user_id, x.claimed_at
            LOOP
                gone_ids := gone_ids || claim.id;
                gone_users := gone_users || claim.user_id;
                gone_times := gone_times || claim.claimed_at;
            END LOOP;
        END IF;
        lapsed := cardinality(gone_ids);
        IF upto > c.lapsed_upto THEN
            UPDATE coupons x SET lapsed_upto = upto,
                                 remaining_amount = x.remaining_amount + lapsed,
                                 version = x.version + (lapsed > 0)::INTEGER
            WHERE x.name = coupon RETURNING x.* INTO c;
        END IF;
        IF lapsed > 0 THEN
            -- One VALUES insert per lapse (a statement on the shard; an INSERT ... SELECT of
            -- unnest() with the log's identity would go through an intermediate result).
            FOR gone IN SELECT * FROM unnest(gone_ids, gone_users, gone_times)
                                      AS u(id, user_id, claimed_at)
            LOOP
                INSERT INTO audit_log (actor, action, coupon_name, before, after)
                VALUES ('system', 'claim.lapse', coupon,
                        jsonb_build_object('user_id', gone.user_id, 'claim_id', gone.id,
                                           'claimed_at', utc_text(gone.claimed_at)),
                        jsonb_build_object('lapsed_at', utc_text(at)));
            END LOOP;
            wake := webhook_emit(coupon, 'claim.lapsed', (
                SELECT jsonb_agg(jsonb_build_object(
                           'coupon_name', coupon, 'user_id', g.user_id,
                           'claimed_at', g.claimed_at, 'lapsed_at', at) ORDER BY g.id)
                FROM unnest(gone_ids, gone_users, gone_times) AS g(id, user_id, claimed_at)));
        END IF;
    END IF;
    IF c.allocation <> 'draw' OR c.drawn_at IS NULL OR c.remaining_amount = 0 THEN
        RETURN;
    END IF;
    SELECT array_agg(t.user_id ORDER BY t.rank), array_agg(t.rank ORDER BY t.rank)
    INTO next_users, next_ranks
    FROM (SELECT w.user_id, w.rank FROM draw_tickets w
          WHERE w.coupon_name = coupon AND NOT w.won AND w.promoted_at IS NULL
          ORDER BY w.rank LIMIT least(c.remaining_amount, max_rows)) t;
    IF next_users IS NULL THEN
        RETURN;
    END IF;
    UPDATE draw_tickets w SET promoted_at = at
    WHERE w.coupon_name = coupon AND w.rank = ANY (next_ranks);
    -- As claim_batch does: ids and times first, then one insert with the coupon's row that Citus
    -- runs on the shard.
    SELECT array_agg(nextval('claims_id_seq')), array_agg(clock_timestamp())
    INTO ids, times FROM unnest(next_users);
    FOR claim IN
        INSERT INTO claims (id, user_id, coupon_name, claimed_at) OVERRIDING SYSTEM VALUE
        SELECT u.id, u.user_id, x.name, u.at
        FROM coupons x CROSS JOIN unnest(next_users, ids, times) WITH ORDINALITY AS u(user_id, id, at, ord)
        WHERE x.name = coupon ORDER BY u.ord
        RETURNING claims.user_id, claims.claimed_at
    LOOP
        made := made || claim.user_id;
        made_at := made_at || claim.claimed_at;
    END LOOP;
    refilled := cardinality(made);
    UPDATE coupons x SET remaining_amount = x.remaining_amount - refilled,
                         version = x.version + 1
    WHERE x.name = coupon RETURNING x.* INTO c;
    wake := claims_made(coupon, made, made_at, c) OR wake;
    more := more OR (refilled = max_rows AND c.remaining_amount > 0);
    wake := entries_announced(coupon, 'entry.won', next_users, next_ranks, c.drawn_at,
                              '{"from_waitlist": true}', NULL) OR wake;
END
$$;
