//! The server's integration tests, one binary (linked once): each module tests one promise
//! against the real app, over real HTTP, on a fresh database that `#[sqlx::test]` makes.
//!
//! `cargo test -p server --test api -- <module>::` runs one module. Two suites stay binaries of
//! their own because they need a process to themselves: `tests/metrics.rs` (the metrics recorder
//! is process-wide, so its exact counts must not see other tests' traffic) and `tests/crash/`
//! (its own durable cluster, crashed on purpose).

mod common;

mod admin_auth;
mod admin_claimers;
mod admin_pages;
mod admin_sale;
mod admin_session;
mod api_contract;
mod api_keys;
mod attacks;
mod batches;
mod claim_auth;
mod cors;
mod coupon_read;
mod csv_export;
mod draw_api;
mod draw_engine;
mod draw_entries;
mod draw_live;
mod draw_page;
mod draw_status;
mod draw_webhooks;
mod durable_commit;
mod engine;
mod idempotency;
mod lapses;
mod leptos_config;
mod limits;
mod live;
mod live_cap;
mod live_sale;
mod openapi;
mod overload;
mod public_claimers;
mod rate_limit_defaults;
mod rate_limits;
mod redemption;
mod rpc_input;
mod sale_lifecycle;
mod sale_races;
mod schema_rules;
mod site_files;
mod ssr;
mod startup_errors;
mod stock_reads;
mod token_attacks;
mod webhook_failures;
mod webhook_targets;
mod webhooks;
