-- Coupons and their claims. PostgreSQL is the single source of truth for stock: the claim
-- engine locks the coupon row, inserts a claim, and decrements remaining_amount in one
-- transaction, and the constraints below make an oversell or a double claim impossible even if
-- application code were wrong.

CREATE TABLE coupons (
    -- The name is the identity clients use, stored exactly as sent (case-sensitive, any Unicode).
    name             TEXT        PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 255),
    amount           INTEGER     NOT NULL CHECK (amount >= 1),
    -- Kept on the row (not counted from claims) so a claim reads and writes one hot row only.
    remaining_amount INTEGER     NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT remaining_within_stock CHECK (remaining_amount BETWEEN 0 AND amount)
);

-- "Newest first" listings of the admin UI.
CREATE INDEX coupons_created_at_idx ON coupons (created_at DESC, name);

CREATE TABLE claims (
    -- Increases in commit order per coupon (claims of one coupon are serialised by its row
    -- lock), so it is the claim order and a keyset for pagination.
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     TEXT        NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 255),
    coupon_name TEXT        NOT NULL REFERENCES coupons (name),
    -- clock_timestamp, not now(): a batch of claims in one transaction keeps distinct times.
    claimed_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- One claim per user and coupon, whatever the application does.
    CONSTRAINT claims_user_coupon_key UNIQUE (user_id, coupon_name)
);

-- "Claims of coupon X in claim order": GET's claimed_by, the admin's paginated claimers list.
CREATE INDEX claims_coupon_order_idx ON claims (coupon_name, id);
