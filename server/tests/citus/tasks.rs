//! Each claim is one command to one worker: the coordinator's plan of each claim call (the calls
//! `db::batches::settle_batch` and `db::claims::claim_one` make), and of a draw coupon's entry
//! batch and draw (`db::entries::enter_batch`, `db::draws::settle`), is one task, the whole
//! function delegated to the coupon's worker, with no subplan (an intermediate result or a second
//! trip).

use sqlx::PgPool;

/// The calls of the claim paths, with values as the server binds them.
const HOT_CALLS: &[&str] = &[
    "SELECT * FROM claim_batch('TASKS', ARRAY['a', 'b', 'a'])",
    "SELECT * FROM claim_one('TASKS', 'c')",
    "SELECT * FROM enter_batch('TASKS', ARRAY['a', 'b', 'a'])",
    "SELECT * FROM draw_settle('TASKS', NULL, ARRAY['a'], ARRAY['\\x00'::bytea], 'digest')",
];

/// The problems found; none when every hot call is one delegated task.
pub async fn check(db: &PgPool) -> Vec<String> {
    sqlx::query("INSERT INTO coupons (name, amount, remaining_amount) VALUES ('TASKS', 10, 10)")
        .execute(db)
        .await
        .expect("create the coupon TASKS");
    let mut problems = Vec::new();
    for call in HOT_CALLS {
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
        if !one_task {
            problems.push(format!("{call} is not one delegated task:\n{plan}"));
        }
    }
    problems
}
