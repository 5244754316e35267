-- A release, a redemption and a sale change are each one call too, as a claim is (20261206000001):
-- the change, its webhook event and its audit entry in one function run in one round trip, which
-- Citus hands whole to the coupon's worker (the audit log and the outbox are co-located with the
-- coupon). Before, each was four to six statements from the server in one transaction. The
-- server passes the actor and the action's name; times are the database's `now()`, taken once;
-- audit entries write times as utc_text (one fixed form, whatever the session's TimeZone).

-- Redeems `claimant`'s claim of `coupon` (the shop's checkout): once. redeemed: this call did it;
-- otherwise claimed_at is NULL when there is no such claim, and redeemed_at is the first
-- redemption's time when there was one.
CREATE FUNCTION redeem_claim(coupon TEXT, claimant TEXT, actor TEXT, action TEXT,
                             OUT claimed_at TIMESTAMPTZ, OUT redeemed_at TIMESTAMPTZ,
                             OUT redeemed BOOLEAN, OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
BEGIN
    wake := false;
    UPDATE claims k SET redeemed_at = at
    WHERE k.coupon_name = coupon AND (k.user_id COLLATE "C") = claimant AND k.redeemed_at IS NULL
    RETURNING k.claimed_at, k.redeemed_at INTO claimed_at, redeemed_at;
    redeemed := FOUND;
    IF NOT redeemed THEN
        SELECT k.claimed_at, k.redeemed_at INTO claimed_at, redeemed_at
        FROM claims k WHERE k.coupon_name = coupon AND (k.user_id COLLATE "C") = claimant;
        RETURN;
    END IF;
    wake := webhook_emit(coupon, 'claim.redeemed', jsonb_build_array(jsonb_build_object(
        'coupon_name', coupon, 'user_id', claimant, 'claimed_at', claimed_at,
        'redeemed_at', redeemed_at)));
    INSERT INTO audit_log (actor, action, coupon_name, after)
    VALUES (actor, action, coupon,
            jsonb_build_object('user_id', claimant, 'redeemed_at', utc_text(redeemed_at)));
END
$$;

-- Releases `claimant`'s claim of `coupon` under the coupon's row lock (taken first, as a claim
-- takes it, so the two never deadlock): the row goes, the unit goes back to the stock. known:
-- the coupon exists; claim_id NULL: nothing released (redeemed_at says whether the claim is
-- spent, which gives no unit back).
CREATE FUNCTION release_claim(coupon TEXT, claimant TEXT, actor TEXT, action TEXT,
                              OUT known BOOLEAN, OUT claim_id BIGINT, OUT claimed_at TIMESTAMPTZ,
                              OUT released_at TIMESTAMPTZ, OUT remaining INTEGER,
                              OUT redeemed_at TIMESTAMPTZ, OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
BEGIN
    wake := false;
    PERFORM 1 FROM coupons c WHERE c.name = coupon FOR UPDATE;
    known := FOUND;
    IF NOT known THEN
        RETURN;
    END IF;
    DELETE FROM claims k
    WHERE k.coupon_name = coupon AND (k.user_id COLLATE "C") = claimant AND k.redeemed_at IS NULL
    RETURNING k.id, k.claimed_at INTO claim_id, claimed_at;
    IF NOT FOUND THEN
        SELECT k.redeemed_at INTO redeemed_at
        FROM claims k WHERE k.coupon_name = coupon AND (k.user_id COLLATE "C") = claimant;
        RETURN;
    END IF;
    released_at := at;
    UPDATE coupons c SET remaining_amount = c.remaining_amount + 1, version = c.version + 1
    WHERE c.name = coupon RETURNING c.remaining_amount INTO remaining;
    wake := webhook_emit(coupon, 'claim.released', jsonb_build_array(jsonb_build_object(
        'coupon_name', coupon, 'user_id', claimant, 'claimed_at', claimed_at,
        'released_at', released_at)));
    INSERT INTO audit_log (actor, action, coupon_name, before, after)
    VALUES (actor, action, coupon,
            jsonb_build_object('user_id', claimant, 'claim_id', claim_id,
                               'claimed_at', utc_text(claimed_at)),
            jsonb_build_object('remaining_amount', remaining));
END
$$;

-- A coupon's audited settings.
CREATE FUNCTION sale_settings(c coupons) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('amount', c.amount, 'remaining_amount', c.remaining_amount,
                              'paused', c.paused, 'starts_at', utc_text(c.starts_at),
                              'ends_at', utc_text(c.ends_at))
$$;

-- Changes a sale under its row lock: each setting given (amount NULL and paused NULL keep
-- theirs; a window end is changed only when its set_ flag is true, so it can be cleared). The
-- stock follows the amount, which may shrink to the units claimed, never below. Writes
-- coupon.updated when a setting changed and coupon.sold_out when the stock went to zero.
-- outcome: NULL done; 'not_found'; 'below_claimed' (claimed: the units claimed); 'bad_window'
-- (starts_at and ends_at: the window asked for). The other outputs: the coupon after the change.
CREATE FUNCTION change_sale(coupon TEXT, actor TEXT, action TEXT, new_amount INTEGER,
                            new_paused BOOLEAN, set_starts BOOLEAN, new_starts_at TIMESTAMPTZ,
                            set_ends BOOLEAN, new_ends_at TIMESTAMPTZ,
                            OUT outcome TEXT, OUT claimed BIGINT, OUT name TEXT,
                            OUT amount INTEGER, OUT remaining_amount INTEGER, OUT paused BOOLEAN,
                            OUT starts_at TIMESTAMPTZ, OUT ends_at TIMESTAMPTZ,
                            OUT created_at TIMESTAMPTZ, OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    before coupons;
    after coupons;
BEGIN
    wake := false;
    SELECT * INTO before FROM coupons c WHERE c.name = coupon FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN;
    END IF;
    claimed := before.amount::BIGINT - before.remaining_amount;
    IF coalesce(new_amount, before.amount) < claimed THEN
        outcome := 'below_claimed';
        RETURN;
    END IF;
    starts_at := CASE WHEN set_starts THEN new_starts_at ELSE before.starts_at END;
    ends_at := CASE WHEN set_ends THEN new_ends_at ELSE before.ends_at END;
    IF ends_at <= starts_at THEN
        outcome := 'bad_window';
        RETURN;
    END IF;
    UPDATE coupons c SET amount = coalesce(new_amount, c.amount),
                         remaining_amount = c.remaining_amount
                                            + (coalesce(new_amount, c.amount) - c.amount),
                         paused = coalesce(new_paused, c.paused),
                         starts_at = change_sale.starts_at, ends_at = change_sale.ends_at,
                         version = c.version + 1
    WHERE c.name = coupon RETURNING c.* INTO after;
    IF (before.amount, before.paused, before.starts_at, before.ends_at)
       IS DISTINCT FROM (after.amount, after.paused, after.starts_at, after.ends_at) THEN
        wake := webhook_emit(coupon, 'coupon.updated', coupon_event(after)) OR wake;
    END IF;
    IF before.remaining_amount > 0 AND after.remaining_amount = 0 THEN
        wake := webhook_emit(coupon, 'coupon.sold_out', coupon_event(after)) OR wake;
    END IF;
    INSERT INTO audit_log (actor, action, coupon_name, before, after)
    VALUES (actor, action, coupon, sale_settings(before), sale_settings(after));
    name := after.name;
    amount := after.amount;
    remaining_amount := after.remaining_amount;
    paused := after.paused;
    created_at := after.created_at;
    claimed := after.amount::BIGINT - after.remaining_amount;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_distributed_function('sale_settings(coupons)');
    PERFORM create_distributed_function('redeem_claim(text, text, text, text)', '$1',
                                        colocate_with => 'coupons');
    PERFORM create_distributed_function('release_claim(text, text, text, text)', '$1',
                                        colocate_with => 'coupons');
    PERFORM create_distributed_function(
        'change_sale(text, text, text, integer, boolean, boolean, timestamptz, boolean, timestamptz)',
        '$1', colocate_with => 'coupons');
END
$$;
