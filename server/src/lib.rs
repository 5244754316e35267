//! The server: JSON API, claim engine, live updates and server-side rendering of the UI.

pub mod activity;
pub mod api;
pub mod auth;
pub mod claims;
pub mod config;
pub mod cors;
pub mod coupon_cache;
pub mod credentials;
pub mod db;
pub mod layers;
pub mod live;
pub mod metrics;
pub mod policy;
pub mod rate_limit;
pub mod sale;
pub mod security_headers;
pub mod serve;
pub mod shutdown;
pub mod site_files;
pub mod startup;
pub mod state;
pub mod telemetry;
mod ui_backend;
mod ui_webhooks;
pub mod webhooks;
