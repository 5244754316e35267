-- A draw coupon (20261206000003, docs/draw.md) takes entries, never claims by arrival: its units
-- go to the draw's winners only. claim_batch and claim_one refuse it with refusal 'draw' and
-- take nothing, checked on the locked row (claim_batch) or in the claim's own UPDATE (claim_one),
-- so no path of either engine can sell a draw coupon first come. The engine takes that refusal
-- as "route this coupon's claims to enter_batch" (a coupon's allocation never changes once made:
-- no statement changes the column). Otherwise both functions are those of 20261206000005 and
-- 20261206000001, their outputs unchanged.

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
CREATE INDEX coupons_draws_due_idx ON coupons (draw_at)
    WHERE allocation = 'draw' AND drawn_at IS NULL;

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
