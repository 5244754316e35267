//! The UI's private calls to the server (Leptos server functions under `/rpc`), and the backend
//! traits through which the server answers them (the server implements them; SQL stays there).

pub mod admin_fns;
pub mod api_docs;
#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "ssr")]
pub mod draw_backend;
pub mod draw_fns;
pub mod key_fns;
pub mod sale_fns;
#[cfg(feature = "ssr")]
pub mod webhook_backend;
pub mod webhook_fns;
