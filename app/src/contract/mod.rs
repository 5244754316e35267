//! The contract: the JSON types of the API and the UI's server functions, and the input rules,
//! defined once for the server and the browser. No view code lives here.

pub mod admin_types;
pub mod api_keys;
pub mod api_types;
pub mod audit;
pub mod draw;
pub mod errors;
pub mod live_types;
pub mod sale;
pub mod url;
pub mod validation;
pub mod webhooks;
