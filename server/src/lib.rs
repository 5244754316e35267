//! The server: JSON API, claim engine, live updates and server-side rendering of the UI.
//!
//! Process-level files sit at the top (`startup`, `state`, `config/`, `telemetry/`); each folder
//! below is one floor of the request's way, listed in docs/architecture.md ("The map").

pub mod api;
pub mod auth;
pub mod claims;
pub mod config;
pub mod credentials;
pub mod db;
pub mod draw;
pub mod http;
pub mod live;
pub mod sale;
pub mod startup;
pub mod state;
pub mod telemetry;
mod ui;
pub mod webhooks;
