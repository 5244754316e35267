//! Each claim is one command to one worker: the coordinator's plan of each claim call (the calls
//! `db::batches::settle_batch` and `db::claims::claim_one` make), of a draw coupon's entry batch
//! and draw (`db::entries::enter_batch`, `db::draws::settle`), and of a release, a redemption and
//! a sale change (`db::claims::release`, `db::claims::redeem`, `db::coupons::change`), a beacon
//! (`db::draws::give_beacon`) and a sweep of lapses and waitlist (`db::sweeps::sweep`) is one task, the whole
//! function delegated to the coupon's worker, with no subplan (an intermediate result or a second
//! trip). And on that worker, each call that inserts rows (a claim batch, an entry batch, a draw,
//! the sweep that lapses claims and the one that gives a released unit to the waitlist) does so
//! on the shard itself: Citus's log of its local commands shows an insert into each table it
//! writes, and nothing read back from an intermediate result (the files Citus writes when it
//! cannot push an INSERT ... SELECT down).

use sqlx::PgPool;

/// The calls that change a coupon, with values as the server binds them.
const HOT_CALLS: &[&str] = &[
    "SELECT * FROM claim_batch('TASKS', ARRAY['a', 'b', 'a'])",
    "SELECT * FROM claim_one('TASKS', 'c')",
    "SELECT * FROM enter_batch('TASKS', ARRAY['a', 'b', 'a'])",
    "SELECT * FROM draw_settle('TASKS', NULL, ARRAY['a'], ARRAY['\\x00'::bytea], 'digest', 'admin', 'draw.run')",
    "SELECT * FROM release_claim('TASKS', 'c', 'admin', 'claim.release')",
    "SELECT * FROM redeem_claim('TASKS', 'c', 'shop', 'claim.redeem')",
    "SELECT * FROM change_sale('TASKS', 'admin', 'coupon.patch', 20, NULL, false, NULL, false, NULL)",
    "SELECT * FROM give_beacon('TASKSD', 'beacon', 'admin', 'draw.beacon')",
    "SELECT * FROM sweep_claims('TASKS', 1000)",
];

/// The calls that insert rows, each with the coupon it names and the tables it must insert into
/// on the shard (a call may follow the statements that give it something to do; all of it runs
/// in one transaction, rolled back).
const INSERTING_CALLS: &[(&str, &str, &[&str])] = &[
    (
        "TASKS",
        "SELECT * FROM claim_batch('TASKS', ARRAY['x', 'y', 'x'])",
        &["claims"],
    ),
    (
        "TASKSD",
        "SELECT * FROM enter_batch('TASKSD', ARRAY['x', 'y', 'x'])",
        &["entries"],
    ),
    // The draw (one unit, two entries), a release of its winner, and the sweep that gives the
    // unit to the waitlisted entry.
    (
        "TASKSE",
        "SELECT * FROM draw_settle('TASKSE', NULL, ARRAY['a', 'b'],
                                   ARRAY[decode(repeat('00', 32), 'hex'), decode(repeat('01', 32), 'hex')],
                                   'digest', 'admin', 'draw.run');
         SELECT * FROM release_claim('TASKSE', 'a', 'admin', 'claim.release');
         SELECT * FROM sweep_claims('TASKSE', 1000)",
        &["draw_tickets", "claims", "audit_log"],
    ),
    // A claim an hour old of a coupon whose claims lapse after a second, swept.
    (
        "TASKSL",
        "INSERT INTO claims (user_id, coupon_name, claimed_at)
         VALUES ('late', 'TASKSL', now() - interval '1 hour');
         UPDATE coupons SET remaining_amount = remaining_amount - 1 WHERE name = 'TASKSL';
         SELECT * FROM sweep_claims('TASKSL', 1000)",
        &["audit_log"],
    ),
];

/// The problems found; none when every hot call is one delegated task, and its inserts run on
/// the shard.
pub async fn check(db: &PgPool) -> Vec<String> {
    sqlx::query("INSERT INTO coupons (name, amount, remaining_amount) VALUES ('TASKS', 10, 10)")
        .execute(db)
        .await
        .expect("create the coupon TASKS");
    sqlx::query(
        "INSERT INTO coupons (name, amount, remaining_amount, allocation, ends_at, draw_at, commitment)
         VALUES ('TASKSD', 10, 10, 'draw', now() + interval '1 day', now() + interval '1 day', repeat('0', 64))",
    )
    .execute(db)
    .await
    .expect("create the draw coupon TASKSD");
    // A draw coupon whose window has closed, its draw not yet due (so no server draws it first).
    sqlx::query(
        "INSERT INTO coupons (name, amount, remaining_amount, allocation, ends_at, draw_at, commitment)
         VALUES ('TASKSE', 1, 1, 'draw', now() - interval '1 hour', now() + interval '1 day', repeat('0', 64))",
    )
    .execute(db)
    .await
    .expect("create the draw coupon TASKSE");
    sqlx::query(
        "INSERT INTO entries (coupon_name, user_id, entered_at)
         VALUES ('TASKSE', 'a', now()), ('TASKSE', 'b', now())",
    )
    .execute(db)
    .await
    .expect("enter a and b in TASKSE");
    sqlx::query(
        "INSERT INTO coupons (name, amount, remaining_amount, redeem_within)
         VALUES ('TASKSL', 5, 5, 1)",
    )
    .execute(db)
    .await
    .expect("create the coupon TASKSL, whose claims lapse after a second");
    let mut problems = Vec::new();
    for call in HOT_CALLS {
        problems.extend(delegated(db, call).await);
    }
    for (coupon, call, tables) in INSERTING_CALLS {
        let log = on_its_worker(db, coupon, call).await;
        let on_shard = tables.iter().all(|t| {
            log.contains(&format!(
                "executing the command locally: INSERT INTO public.{t}_"
            ))
        }) && !log.contains("intermediate_result");
        println!(
            "{call} on its worker: {}",
            if on_shard {
                "inserts on the shard"
            } else {
                "NOT on the shard"
            }
        );
        if !on_shard {
            problems.push(format!(
                "{call} does not insert into {tables:?} on the shard in one statement each:\n{log}"
            ));
        }
    }
    problems
}

/// The problem with `call`, if the coordinator's plan of it is not one task that delegates the
/// whole function to the coupon's worker with no subplan.
pub async fn delegated(db: &PgPool, call: &str) -> Option<String> {
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {call}")))
        .fetch_all(db)
        .await
        .expect("EXPLAIN a claim call");
    let plan = plan.join("\n");
    let one_task = plan.contains("Custom Scan (Citus Adaptive)")
        && plan.contains("Task Count: 1")
        && plan.contains("Function Scan on ")
        && !plan.to_lowercase().contains("subplan");
    println!(
        "{call}: {}",
        if one_task { "one task" } else { "NOT one task" }
    );
    (!one_task).then(|| format!("{call} is not one delegated task:\n{plan}"))
}

/// Runs `call` on the worker that holds `coupon` (psql, in a transaction rolled back), with
/// Citus logging each command it runs locally; returns that log.
async fn on_its_worker(db: &PgPool, coupon: &str, call: &str) -> String {
    let (port, database): (i32, String) = sqlx::query_as(
        "SELECT nodeport, current_database()::text FROM citus_shards
         WHERE shardid = get_shard_id_for_distribution_column('coupons', $1)",
    )
    .bind(coupon)
    .fetch_one(db)
    .await
    .expect("the worker that holds the coupon");
    let script = format!(
        "BEGIN;\nSET LOCAL citus.log_local_commands = on;\nSET LOCAL client_min_messages = log;\n{call};\nROLLBACK;\n"
    );
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .arg(format!("postgres://postgres@127.0.0.1:{port}/{database}"))
        .args(["-c", &script])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql on the worker: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}
