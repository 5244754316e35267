//! The draw's database path (docs/draw.md): entries taken in batches by the database's clock, and
//! a draw settled exactly once however many processes run it, its claims the top of a ranking
//! anyone can recompute.

use server::{
    db,
    draw::{proof, run, ticket},
};
use sqlx::PgPool;

/// A draw coupon of `amount` units whose window is open for an hour, with a fresh seed.
async fn draw_coupon(pool: &PgPool, name: &str, amount: i32) -> ticket::Seed {
    let seed = ticket::new_seed().unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO coupons (name, amount, remaining_amount, allocation, ends_at, draw_at,
                              commitment)
         VALUES ($1, $2, $2, 'draw', now() + interval '1 hour', now() + interval '1 hour', $3)",
    )
    .bind(name)
    .bind(amount)
    .bind(ticket::commitment(&seed))
    .execute(&mut *tx)
    .await
    .unwrap();
    db::draws::keep_seed(&mut tx, name, &seed).await.unwrap();
    tx.commit().await.unwrap();
    seed
}

/// Closes the window of `name` now, as if its end had come.
async fn close_window(pool: &PgPool, name: &str) {
    sqlx::query("UPDATE coupons SET ends_at = now(), draw_at = now() WHERE name = $1")
        .bind(name)
        .execute(pool)
        .await
        .unwrap();
}

async fn enter(pool: &PgPool, coupon: &str, users: &[&str]) -> db::entries::EntryAttempt {
    let users: Vec<String> = users.iter().map(|u| (*u).to_owned()).collect();
    let mut conn = pool.acquire().await.unwrap();
    db::entries::enter_batch(&mut conn, coupon, &users)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn entries_are_one_per_user_and_only_in_the_window(pool: PgPool) {
    draw_coupon(&pool, "D", 2).await;
    let first = enter(&pool, "D", &["a", "b", "a", "c"]).await;
    assert!(first.known && first.refusal.is_none());
    assert_eq!(
        first.entered,
        ["a", "b", "c"],
        "one entry per user, in order"
    );
    let again = enter(&pool, "D", &["a", "d"]).await;
    assert_eq!(again.entered, ["d"], "a's second entry takes nothing");

    db::coupons::insert(&pool, db::coupons::NewSale::first_come("RACE", 5))
        .await
        .unwrap();
    let race = enter(&pool, "RACE", &["a"]).await;
    assert_eq!(race.refusal.as_deref(), Some("first_come"));
    assert!(!enter(&pool, "NONE", &["a"]).await.known);

    close_window(&pool, "D").await;
    let late = enter(&pool, "D", &["e"]).await;
    assert_eq!(
        late.refusal.as_deref(),
        Some("ended"),
        "at ends_at, by the database's clock"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM entries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 4, "a, b, c and d; nothing refused was written");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_draw_is_settled_once_and_anyone_can_recompute_it(pool: PgPool) {
    let seed = draw_coupon(&pool, "D", 30).await;
    let users: Vec<String> = (0..500).map(|i| format!("entrant-{i}")).collect();
    for chunk in users.chunks(64) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        enter(&pool, "D", &chunk).await;
    }
    assert_eq!(
        run::draw(&pool, "D", "test").await.unwrap(),
        run::Outcome::Open,
        "no draw before the window closes"
    );
    close_window(&pool, "D").await;

    // Four "processes" at once: one draws, the others find it drawn.
    let outcomes = futures::future::join_all((0..4).map(|_| run::draw(&pool, "D", "test"))).await;
    let drawn = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(run::Outcome::Drawn { .. })))
        .count();
    let already = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(run::Outcome::AlreadyDrawn)))
        .count();
    assert_eq!((drawn, already), (1, 3), "{outcomes:?}");

    // The claims are the top 30 of the ranking recomputed from the seed, in rank order.
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let ranked = ticket::rank(&ticket::key(&seed, None), &names);
    let expected: Vec<&str> = ranked.iter().take(30).map(|r| names[r.entry]).collect();
    let claims: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM claims WHERE coupon_name = 'D' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(claims, expected);
    let (remaining, digest, tickets): (i32, String, i64) = sqlx::query_as(
        "SELECT c.remaining_amount, d.tickets_digest,
                (SELECT count(*) FROM draw_tickets t WHERE t.coupon_name = 'D')
         FROM coupons c JOIN draws d ON d.coupon_name = c.name WHERE c.name = 'D'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(remaining, 0);
    assert_eq!(tickets, 500, "one ranked ticket per entry");
    assert_eq!(digest, proof::digest(&proof::tickets_text(&ranked, 30)));
    assert_eq!(
        run::draw(&pool, "D", "test").await.unwrap(),
        run::Outcome::AlreadyDrawn,
        "a draw run again changes nothing"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_draw_with_fewer_entries_than_units_makes_a_claim_each(pool: PgPool) {
    draw_coupon(&pool, "D", 10).await;
    enter(&pool, "D", &["a", "b", "c"]).await;
    close_window(&pool, "D").await;
    let outcome = run::draw(&pool, "D", "test").await.unwrap();
    assert!(
        matches!(
            outcome,
            run::Outcome::Drawn {
                entries: 3,
                winners: 3,
                ..
            }
        ),
        "{outcome:?}"
    );
    let remaining: i32 =
        sqlx::query_scalar("SELECT remaining_amount FROM coupons WHERE name = 'D'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(remaining, 7);
}

/// A draw of a million entries takes longer than a request's statement timeout: its connection
/// has none, and goes away after, so no pooled session keeps running without one.
#[sqlx::test(migrations = "../migrations")]
async fn a_draw_runs_without_the_request_timeouts(pool: PgPool) {
    let mut config = server::config::Config::for_database("unused");
    config.db_statement_timeout_ms = 4_321;
    let requests = server::startup::database_settings(&config, (*pool.connect_options()).clone())
        .request_pool()
        .await
        .unwrap();
    let show =
        "SELECT current_setting('statement_timeout') || ' ' || current_setting('lock_timeout')";
    let mut conn = db::unbounded(&requests).await.unwrap();
    let unbounded: String = sqlx::query_scalar(show)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(unbounded, "0 0");
    drop(conn);
    let pooled: String = sqlx::query_scalar(show).fetch_one(&requests).await.unwrap();
    assert!(pooled.starts_with("4321ms "), "{pooled}");
}

/// A per-request process that has seen a coupon to be a draw enters its next claims in one call:
/// with `claim_one` gone from the database they still enter, where a process that has not seen
/// it fails on the missing function.
#[sqlx::test(migrations = "../migrations")]
async fn a_known_draw_is_entered_without_a_claim_call(pool: PgPool) {
    use server::config::EngineMode;
    draw_coupon(&pool, "KNOWN", 2).await;
    let engine = crate::common::engine(&pool, EngineMode::PerRequest);
    let first = engine.claim("first", "KNOWN").await.unwrap();
    assert!(first.claim().is_none(), "an entry");
    sqlx::query("ALTER FUNCTION claim_one(text, text) RENAME TO claim_one_gone")
        .execute(&pool)
        .await
        .unwrap();
    let second = engine.claim("second", "KNOWN").await.unwrap();
    assert!(second.claim().is_none(), "an entry, without claim_one");
    let fresh = crate::common::engine(&pool, EngineMode::PerRequest);
    assert!(
        fresh.claim("third", "KNOWN").await.is_err(),
        "a process that has not seen the draw calls claim_one first"
    );
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM entries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(entries, 2);
}
