-- A fair sale (docs/draw.md): a coupon's allocation, `first_come` (the race, as before) or
-- `draw` (entries during the window, ranked afterwards by a seed committed before the first
-- entry); the entries, the draw's secret seed and its ranked tickets; and claims that lapse when
-- not redeemed in time. Every new table is keyed by its coupon first and, on Citus, distributed
-- by it and co-located with `coupons` (docs/architecture.md, "Rules that hold on both engines").

-- On Citus, the commands on shards run one connection per worker (a change of a distributed
-- table in parallel would stop the function commands below); elsewhere a setting of no effect.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

-- In a DO block, each statement its own: Citus sends some forms of ALTER TABLE on a distributed
-- table to the workers as the text of the whole query, which in a migration of many statements
-- fails ("cannot insert multiple commands into a prepared statement").
DO $$
BEGIN
    ALTER TABLE coupons
        ADD COLUMN allocation      TEXT        NOT NULL DEFAULT 'first_come',
        -- When the draw runs by itself; no earlier than ends_at.
        ADD COLUMN draw_at         TIMESTAMPTZ,
        -- The draw waits for a beacon given after the window closed.
        ADD COLUMN beacon_required BOOLEAN     NOT NULL DEFAULT false,
        -- hex(sha256(seed)), public from the coupon's creation.
        ADD COLUMN commitment      TEXT,
        ADD COLUMN beacon          TEXT,
        ADD COLUMN drawn_at        TIMESTAMPTZ,
        -- Seconds a claim has to be redeemed before it lapses; NULL: never.
        ADD COLUMN redeem_within   INTEGER;
    ALTER TABLE coupons ADD CONSTRAINT coupons_allocation_known
        CHECK (allocation IN ('first_come', 'draw'));
    ALTER TABLE coupons ADD CONSTRAINT coupons_draw_settings CHECK (
        CASE WHEN allocation = 'draw'
             THEN ends_at IS NOT NULL AND draw_at >= ends_at AND commitment IS NOT NULL
             ELSE draw_at IS NULL AND commitment IS NULL AND beacon IS NULL AND drawn_at IS NULL
                  AND NOT beacon_required
        END);
    ALTER TABLE coupons ADD CONSTRAINT coupons_beacon_given
        CHECK (char_length(beacon) BETWEEN 1 AND 1000);
    ALTER TABLE coupons ADD CONSTRAINT coupons_redeem_within_positive CHECK (redeem_within > 0);
END
$$;

-- The draw's secret, kept apart from the coupon row that every read of the coupon returns, and
-- what the proof states once drawn.
CREATE TABLE draws (
    coupon_name    TEXT    PRIMARY KEY REFERENCES coupons (name),
    seed           BYTEA   NOT NULL CHECK (length(seed) = 32),
    entries        BIGINT,
    winners        BIGINT,
    tickets_digest TEXT
);

-- One entry per user and draw coupon. Ids come in the order entries were taken.
CREATE TABLE entries (
    coupon_name TEXT        NOT NULL REFERENCES coupons (name),
    id          BIGINT      GENERATED ALWAYS AS IDENTITY,
    user_id     TEXT        NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 255),
    entered_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT entries_pkey PRIMARY KEY (coupon_name, id),
    CONSTRAINT entries_coupon_user_key UNIQUE (coupon_name, user_id)
);

-- The draw's ranking: one row per entry, by rank. `won` is the draw's own outcome (the first
-- `amount`); a waitlisted entry given a unit later keeps `won = false` and gets `promoted_at`.
CREATE TABLE draw_tickets (
    coupon_name TEXT        NOT NULL REFERENCES coupons (name),
    rank        BIGINT      NOT NULL CHECK (rank >= 1),
    ticket      BYTEA       NOT NULL CHECK (length(ticket) = 32),
    user_id     TEXT        NOT NULL,
    won         BOOLEAN     NOT NULL,
    promoted_at TIMESTAMPTZ,
    CONSTRAINT draw_tickets_pkey PRIMARY KEY (coupon_name, rank),
    CONSTRAINT draw_tickets_coupon_user_key UNIQUE (coupon_name, user_id)
);
-- The waitlist's head: the next entry a unit goes to.
CREATE INDEX draw_tickets_waitlist_idx ON draw_tickets (coupon_name, rank)
    WHERE NOT won AND promoted_at IS NULL;

-- A batch of entries of one draw coupon (the batched engine), in one call, by the database's
-- clock: the coupon row is share-locked (a pause or a change of the window waits for the batch,
-- and the batch for it), the window and the pause judged, and each user's first entry inserted.
--
-- known: a coupon has the name; refusal: 'first_come' (not a draw coupon), or why the window
-- takes no entry now ('paused', 'not_started', 'ended'); nothing was done then. entered: the users
-- whose entry this call made (the others had one), all at entered_at.
CREATE FUNCTION enter_batch(coupon TEXT, users TEXT[],
                            OUT known BOOLEAN, OUT refusal TEXT, OUT starts_at TIMESTAMPTZ,
                            OUT draw_at TIMESTAMPTZ, OUT entered TEXT[],
                            OUT entered_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    c coupons;
BEGIN
    entered := '{}';
    entered_at := at;
    SELECT * INTO c FROM coupons WHERE name = coupon FOR SHARE;
    known := FOUND;
    IF NOT known THEN
        RETURN;
    END IF;
    starts_at := c.starts_at;
    draw_at := c.draw_at;
    IF c.allocation <> 'draw' THEN
        refusal := 'first_come';
        RETURN;
    END IF;
    refusal := sale_refusal_at(c.paused, c.starts_at, c.ends_at, at);
    IF refusal IS NOT NULL THEN
        RETURN;
    END IF;
    WITH inserted AS (
        INSERT INTO entries (coupon_name, user_id, entered_at)
        SELECT coupon, u.user_id, at FROM unnest(users) WITH ORDINALITY AS u(user_id, ord)
        ORDER BY u.ord
        ON CONFLICT ON CONSTRAINT entries_coupon_user_key DO NOTHING
        RETURNING entries.user_id
    )
    SELECT coalesce(array_agg(i.user_id), '{}') INTO entered FROM inserted i;
END
$$;

-- Settles a draw whose ranking the server computed (server/src/draw/): `users` in rank order and
-- their `tickets`. One call, one transaction, so a crash leaves the draw not done or done whole.
-- Under the coupon's row lock it checks that the draw is due and still undone, and that the
-- ranking covers every entry (an entry batch that began before the window closed may commit
-- after the server read the entries: then nothing is done, and the server draws again). Then it
-- writes the ranked tickets, makes the first `amount` entrants' claims in rank order, takes them
-- off the stock, marks the coupon drawn, records the proof's figures, and writes the events:
-- claim.created and coupon.sold_out as any claim does, entry.won and entry.waitlisted (at most
-- 1,000 entries per outbox row) when an endpoint subscribes.
--
-- outcome: 'drawn' (this call drew), 'already_drawn', 'not_found', 'first_come', 'open' (the
-- window has not closed), 'beacon_missing', 'beacon_changed' (the ranking was made with another
-- beacon than the coupon's now), 'entries_changed'. winners, won_at: the claims made, in claim
-- order; wake: an event that wakes the dispatchers was written.
CREATE FUNCTION draw_settle(coupon TEXT, beacon_used TEXT, users TEXT[], tickets BYTEA[],
                            digest TEXT, OUT outcome TEXT, OUT drawn_at TIMESTAMPTZ,
                            OUT winners TEXT[], OUT won_at TIMESTAMPTZ[], OUT wake BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    at CONSTANT TIMESTAMPTZ := now();
    c coupons;
    n BIGINT;
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
    SELECT coupon, t.ord, t.ticket, t.user_id, t.ord <= c.amount
    FROM unnest(users, tickets) WITH ORDINALITY AS t(user_id, ticket, ord);
    WITH inserted AS (
        INSERT INTO claims (user_id, coupon_name)
        SELECT t.user_id, coupon FROM unnest(users) WITH ORDINALITY AS t(user_id, ord)
        WHERE t.ord <= c.amount
        ORDER BY t.ord
        RETURNING claims.id, claims.user_id, claims.claimed_at
    )
    SELECT coalesce(array_agg(i.user_id ORDER BY i.id), '{}'),
           coalesce(array_agg(i.claimed_at ORDER BY i.id), '{}')
    INTO winners, won_at FROM inserted i;
    UPDATE coupons SET remaining_amount = remaining_amount - cardinality(winners),
                       drawn_at = at, version = version + 1
    WHERE name = coupon RETURNING * INTO c;
    UPDATE draws SET entries = n, winners = cardinality(draw_settle.winners),
                     tickets_digest = digest
    WHERE coupon_name = coupon;
    drawn_at := at;
    outcome := 'drawn';
    wake := claims_made(coupon, winners, won_at, c);
    IF webhook_wanted('entry.won') THEN
        INSERT INTO webhook_outbox (coupon_name, type, data)
        SELECT coupon, 'entry.won', jsonb_agg(jsonb_build_object(
                   'coupon_name', coupon, 'user_id', t.user_id, 'rank', t.ord, 'drawn_at', at)
                   ORDER BY t.ord)
        FROM unnest(users) WITH ORDINALITY AS t(user_id, ord)
        WHERE t.ord <= c.amount
        GROUP BY (t.ord - 1) / 1000;
        wake := true;
    END IF;
    IF webhook_wanted('entry.waitlisted') THEN
        INSERT INTO webhook_outbox (coupon_name, type, data)
        SELECT coupon, 'entry.waitlisted', jsonb_agg(jsonb_build_object(
                   'coupon_name', coupon, 'user_id', t.user_id, 'rank', t.ord,
                   'waitlist_position', t.ord - c.amount, 'drawn_at', at)
                   ORDER BY t.ord)
        FROM unnest(users) WITH ORDINALITY AS t(user_id, ord)
        WHERE t.ord > c.amount
        GROUP BY (t.ord - 1) / 1000;
        wake := true;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_distributed_table('draws', 'coupon_name', colocate_with => 'coupons');
    PERFORM create_distributed_table('entries', 'coupon_name', colocate_with => 'coupons');
    PERFORM create_distributed_table('draw_tickets', 'coupon_name', colocate_with => 'coupons');
    PERFORM create_distributed_function('enter_batch(text, text[])', '$1',
                                        colocate_with => 'coupons');
    PERFORM create_distributed_function('draw_settle(text, text, text[], bytea[], text)', '$1',
                                        colocate_with => 'coupons');
END
$$;
