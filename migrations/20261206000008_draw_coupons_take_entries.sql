-- A draw coupon (20261206000003, docs/draw.md) takes entries, never claims by arrival: its units
-- go to the draw's winners only. claim_batch and claim_one refuse it with refusal 'draw' and
-- take nothing, checked on the locked row (claim_batch) or in the claim's own UPDATE (claim_one),
-- so no path of either engine can sell a draw coupon first come. The engine takes that refusal
-- as "route this coupon's claims to enter_batch" (a coupon's allocation never changes once made:
-- no statement changes the column). Otherwise both functions are those of 20261206000005 and
-- 20261206000001, their outputs unchanged.
--
-- Then: the draws due to run by themselves; the beacon; and claims that lapse unredeemed
-- (`redeem_within`) with a draw's waitlist that refills, both done by sweep_claims.

-- On Citus, the commands on shards run one connection per worker (a change of a distributed
-- table in parallel would stop the function commands below); elsewhere a setting of no effect.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

CREATE OR REPLACE FUNCTION claim_batch(coupon TEXT, users TEXT[],
                            OUT remaining INTEGER, OUT refusal TEXT, OUT starts_at TIMESTAMPTZ,
                            OUT held TEXT[], OUT granted TEXT[], OUT granted_at TIMESTAMPTZ[],
                            OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    ids BIGINT[];
    times TIMESTAMPTZ[];
    claim RECORD;
    row coupons;
    allocation TEXT;
BEGIN
    wake := false;
    held := '{}';
    granted := '{}';
    granted_at := '{}';
    SELECT c.remaining_amount, c.starts_at, sale_refusal_at(c.paused, c.starts_at, c.ends_at, at),
           c.allocation
    INTO remaining, starts_at, refusal, allocation
    FROM coupons c WHERE c.name = coupon FOR UPDATE;
    IF allocation = 'draw' THEN
        refusal := 'draw';
    END IF;
    IF remaining IS NULL OR refusal IS NOT NULL THEN
        RETURN;
    END IF;
    IF remaining > 0 THEN
        SELECT array_agg(nextval('claims_id_seq')), array_agg(clock_timestamp())
        INTO ids, times FROM unnest(users);
        -- The first `remaining` distinct users who hold no claim, in arrival order; the rows
        -- come back in that order, which is also the order of their ids.
        FOR claim IN
            INSERT INTO claims (id, user_id, coupon_name, claimed_at) OVERRIDING SYSTEM VALUE
            SELECT f.id, f.user_id, f.coupon_name, f.at FROM (
                SELECT DISTINCT ON (u.user_id) u.id, u.user_id, c.name AS coupon_name, u.at, u.ord
                FROM coupons c
                CROSS JOIN unnest(users, ids, times) WITH ORDINALITY AS u(user_id, id, at, ord)
                LEFT JOIN LATERAL (SELECT 1 AS one FROM claims k WHERE k.coupon_name = coupon
                                   AND (k.user_id COLLATE "C") = u.user_id LIMIT 1) AS holds
                       ON true
                WHERE c.name = coupon AND holds.one IS NULL
                ORDER BY u.user_id, u.ord) f
            ORDER BY f.ord LIMIT remaining
            RETURNING claims.user_id, claims.claimed_at
        LOOP
            granted := granted || claim.user_id;
            granted_at := granted_at || claim.claimed_at;
        END LOOP;
    END IF;
    IF cardinality(granted) < cardinality(users) THEN
        SELECT coalesce(array_agg(DISTINCT k.user_id), '{}') INTO held
        FROM claims k WHERE k.coupon_name = coupon AND (k.user_id COLLATE "C") = ANY (users)
          AND (k.user_id COLLATE "C") <> ALL (granted);
    END IF;
    IF cardinality(granted) = 0 THEN
        RETURN;
    END IF;
    UPDATE coupons c SET remaining_amount = c.remaining_amount - cardinality(granted),
                         version = c.version + 1
    WHERE c.name = coupon RETURNING c.* INTO row;
    wake := claims_made(coupon, granted, granted_at, row);
END
$$;

CREATE OR REPLACE FUNCTION claim_one(coupon TEXT, claimant TEXT,
                          OUT claimed_at TIMESTAMPTZ, OUT remaining_after INTEGER,
                          OUT known BOOLEAN, OUT remaining INTEGER, OUT refusal TEXT,
                          OUT starts_at TIMESTAMPTZ, OUT holds BOOLEAN, OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    -- The clock as a value: Citus refuses a STABLE function inside an UPDATE's CASE.
    at CONSTANT TIMESTAMPTZ := now();
    row coupons;
    allocation TEXT;
BEGIN
    wake := false;
    UPDATE coupons c SET remaining_amount = c.remaining_amount - 1, version = c.version + 1
    WHERE c.name = coupon AND c.remaining_amount > 0 AND c.allocation = 'first_come'
      AND sale_refusal_at(c.paused, c.starts_at, c.ends_at, at) IS NULL
      AND NOT EXISTS (SELECT 1 FROM claims h WHERE h.coupon_name = coupon
                      AND (h.user_id COLLATE "C") = claimant)
    RETURNING c.* INTO row;
    IF row.name IS NULL THEN
        SELECT true, c.remaining_amount, sale_refusal_at(c.paused, c.starts_at, c.ends_at, at),
               c.starts_at,
               EXISTS (SELECT 1 FROM claims h WHERE h.coupon_name = coupon
                       AND (h.user_id COLLATE "C") = claimant),
               c.allocation
        INTO known, remaining, refusal, starts_at, holds, allocation
        FROM coupons c WHERE c.name = coupon;
        known := coalesce(known, false);
        IF allocation = 'draw' THEN
            refusal := 'draw';
        END IF;
        RETURN;
    END IF;
    known := true;
    remaining_after := row.remaining_amount;
    INSERT INTO claims (user_id, coupon_name) VALUES (claimant, coupon)
    RETURNING claims.claimed_at INTO claim_one.claimed_at;
    wake := claims_made(coupon, ARRAY[claimant], ARRAY[claim_one.claimed_at], row);
END
$$;

-- The draws due to run by themselves, which every server process looks for each second
-- (db::draws::due): only draw coupons not drawn yet, by draw time.
-- (In a DO block, as each command on a distributed table here: Citus sends it to the workers as
-- the text of the whole query, which in a migration of many statements fails.)
DO $$
BEGIN
    CREATE INDEX coupons_draws_due_idx ON coupons (draw_at)
        WHERE allocation = 'draw' AND drawn_at IS NULL;
END
$$;

-- Gives a draw coupon's beacon (docs/draw.md): a public random value published after the
-- window closed. Under the coupon's row lock, by the database's clock: only a draw coupon, only
-- once its window has closed, only before its draw, and only once (the same value again is
-- accepted and changes nothing). Audited as `actor`'s `action` in the same transaction.
--
-- outcome: NULL when given (or given before with the same value); 'not_found', 'not_a_draw',
-- 'entries_open', 'drawn', 'beacon_given' (another value was given before) otherwise, and then
-- nothing changed. beacon: the coupon's beacon after the call.
CREATE FUNCTION give_beacon(coupon TEXT, given TEXT, actor TEXT, action TEXT,
                            OUT outcome TEXT, OUT beacon TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    c coupons;
BEGIN
    SELECT * INTO c FROM coupons k WHERE k.name = coupon FOR UPDATE;
    beacon := c.beacon;
    outcome := CASE
        WHEN c.name IS NULL THEN 'not_found'
        WHEN c.allocation <> 'draw' THEN 'not_a_draw'
        WHEN c.drawn_at IS NOT NULL THEN 'drawn'
        WHEN c.ends_at > at THEN 'entries_open'
        WHEN c.beacon IS NOT NULL AND c.beacon <> given THEN 'beacon_given'
    END;
    IF outcome IS NOT NULL OR c.beacon IS NOT NULL THEN
        RETURN;
    END IF;
    UPDATE coupons k SET beacon = given, version = k.version + 1 WHERE k.name = coupon;
    beacon := given;
    INSERT INTO audit_log (actor, action, coupon_name, before, after)
    VALUES (actor, action, coupon, NULL, jsonb_build_object('beacon', given));
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_distributed_function('give_beacon(text, text, text, text)', '$1',
                                        colocate_with => 'coupons');
END
$$;

-- Claims that lapse: each coupon's claims are swept in id order (the claim order: ids are taken
-- under the coupon's row lock, with claimed_at from the same clock), up to the first claim that
-- is still in time. `lapsed_upto` is the id the last sweep reached: every claim up to it is
-- redeemed or gone, so a sweep reads only the claims after it (no index on the hot claim path).
DO $$
BEGIN
    ALTER TABLE coupons ADD COLUMN lapsed_upto BIGINT NOT NULL DEFAULT 0;
END
$$;

-- Sweeps one coupon under its row lock, by the database's clock:
--   * lapses: the claims not redeemed within `redeem_within` seconds of their claimed_at (at
--     most `max_rows` read per call) are deleted, their units go back to the stock, each
--     audited as `claim.lapse` (actor `system`) and announced as `claim.lapsed`; a claim
--     redeemed meanwhile is kept (the delete checks again);
--   * a drawn coupon's waitlist: every unit in stock (come back by a lapse, a release or a
--     restock) goes to the next waitlisted entry in rank order, as a new claim
--     (`claim.created`, and `entry.won` with `from_waitlist` when subscribed), at most
--     `max_rows` per call.
-- lapsed, refilled: how many; wake: an event that wakes the dispatchers was written; more: the
-- sweep stopped at max_rows (call again).
CREATE FUNCTION sweep_claims(coupon TEXT, max_rows INTEGER,
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
            INSERT INTO audit_log (actor, action, coupon_name, before, after)
            SELECT 'system', 'claim.lapse', coupon,
                   jsonb_build_object('user_id', g.user_id, 'claim_id', g.id,
                                      'claimed_at', utc_text(g.claimed_at)),
                   jsonb_build_object('lapsed_at', utc_text(at))
            FROM unnest(gone_ids, gone_users, gone_times) AS g(id, user_id, claimed_at);
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
    IF webhook_wanted('entry.won') THEN
        INSERT INTO webhook_outbox (coupon_name, type, data)
        SELECT coupon, 'entry.won', jsonb_agg(jsonb_build_object(
                   'coupon_name', coupon, 'user_id', u.user_id, 'rank', u.rank,
                   'drawn_at', c.drawn_at, 'from_waitlist', true) ORDER BY u.rank)
        FROM unnest(next_users, next_ranks) AS u(user_id, rank);
        wake := true;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_distributed_function('sweep_claims(text, integer)', '$1',
                                        colocate_with => 'coupons');
END
$$;
