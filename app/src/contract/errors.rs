//! The HTTP status of a failed server function belongs to its error type: each error enum says
//! its [`HttpStatus`], and the server function answers with it ([`answer`]). Leptos would answer
//! every error `500`; bad input must be a 4xx, a busy database a `503`, as in the JSON API.
//!
//! Arguments that cannot even be decoded fail before the function runs: Leptos turns them into
//! the error type through [`FromServerFnError`], which sets `400` the same way.

use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The HTTP status an error deserves.
pub trait HttpStatus {
    fn status(&self) -> u16;
}

/// Why a page's data could not be loaded: a sentence to show, and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum LoadError {
    /// The call was malformed (this UI never sends such a call): `400`.
    #[error("{0}")]
    BadRequest(String),
    /// The database is busy: `503`, try again.
    #[error("{0}")]
    Busy(String),
    /// Anything else, already logged on the server: `500`.
    #[error("{0}")]
    Failed(String),
}

impl HttpStatus for LoadError {
    fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Busy(_) => 503,
            Self::Failed(_) => 500,
        }
    }
}

impl FromServerFnError for LoadError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        decoded_or(value, Self::BadRequest, || {
            Self::Failed("This could not be loaded. Try again in a moment.".to_owned())
        })
    }
}

/// The error of a call whose arguments could not be decoded (`400`: `bad_request` with Leptos'
/// reason), or `other` for any other failure outside the function (transport, encoding).
pub fn decoded_or<E>(
    value: ServerFnErrorErr,
    bad_request: impl FnOnce(String) -> E,
    other: impl FnOnce() -> E,
) -> E {
    match value {
        ServerFnErrorErr::Args(why)
        | ServerFnErrorErr::MissingArg(why)
        | ServerFnErrorErr::Deserialization(why) => {
            #[cfg(feature = "ssr")]
            set_rpc_status(400);
            bad_request(why)
        }
        _ => other(),
    }
}

/// Answers the running server function with its error's status. Use on every server function's
/// result: `answer(result)`.
#[cfg(feature = "ssr")]
pub fn answer<T, E: HttpStatus>(result: Result<T, E>) -> Result<T, E> {
    if let Err(error) = &result {
        set_rpc_status(error.status());
    }
    result
}

/// Sets the status of a server function call's answer. Only for a call from the page's
/// JavaScript (`/rpc/...` without `text/html` in `Accept`): a form posted without JavaScript
/// gets Leptos' redirect back to the page with the error in the URL, and a status set here
/// would replace that redirect; a page rendered on the server shows the error itself (see
/// `components::ErrorNotice`).
#[cfg(feature = "ssr")]
pub fn set_rpc_status(status: u16) {
    use leptos::prelude::use_context;
    let (Some(request), Some(response)) = (
        use_context::<http::request::Parts>(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let form_post = request
        .headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if request.uri.path().starts_with("/rpc/")
        && !form_post
        && let Ok(status) = http::StatusCode::from_u16(status)
    {
        response.set_status(status);
    }
}
