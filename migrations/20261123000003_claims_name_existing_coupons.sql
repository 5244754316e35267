-- "Every claim names an existing coupon", checked once per statement instead of once per row.
--
-- The foreign key claims.coupon_name -> coupons(name) ran a query of its own for every inserted
-- claim (SELECT 1 FROM coupons WHERE name = $1 FOR KEY SHARE): about a fifth of PostgreSQL's CPU
-- in the claim benchmark (README "Benchmark", `make bench-profile`). The same rule, cheaper:
--
-- 1. Coupons are permanent. Nothing deletes, truncates or renames one (the product has no such
--    action), and the triggers below refuse it. So a claim that named an existing coupon when it
--    was inserted always does, and no row lock is needed to keep it so.
-- 2. Every statement that inserts claims, or changes their coupon_name, checks once, over all its
--    new rows, that each named coupon exists (a statement trigger with a transition table).
ALTER TABLE claims DROP CONSTRAINT claims_coupon_name_fkey;

CREATE FUNCTION coupons_are_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'coupons are permanent: % of coupons refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER coupons_are_permanent BEFORE DELETE OR TRUNCATE ON coupons
    FOR EACH STATEMENT EXECUTE FUNCTION coupons_are_permanent();
-- Fires only for an UPDATE that sets name (a claim's UPDATE of the stock never does).
CREATE TRIGGER coupons_keep_their_name BEFORE UPDATE OF name ON coupons
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION coupons_are_permanent();

CREATE FUNCTION claims_name_existing_coupons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_claims n
               WHERE NOT EXISTS (SELECT 1 FROM coupons c WHERE c.name = n.coupon_name)) THEN
        RAISE EXCEPTION 'a claim names no existing coupon'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'claims_name_existing_coupons';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER claims_name_existing_coupons AFTER INSERT ON claims
    REFERENCING NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION claims_name_existing_coupons();
CREATE TRIGGER claims_name_existing_coupons_on_update AFTER UPDATE ON claims
    REFERENCING NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION claims_name_existing_coupons();
