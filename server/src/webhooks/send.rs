//! One attempt of one delivery: a signed POST with a timeout, no redirect followed, at most a
//! few bytes of the answer read, and its outcome with the next attempt's time.

use std::time::{Duration, Instant, SystemTime};

use reqwest::{Client, StatusCode, header, redirect};

use super::{Settings, retry, sign, target};
use crate::db::deliveries::{Leased, Outcome};

/// Most bytes of an answer read (its start is kept in the log for a failure).
const ANSWER_LIMIT: usize = 4 * 1024;
/// Characters of a failed answer kept in the log.
const LOGGED_CHARS: usize = 200;

/// The HTTP client every attempt of this process shares.
pub fn client(settings: &Settings) -> anyhow::Result<Client> {
    Ok(Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(redirect::Policy::none())
        .dns_resolver(target::PublicResolver::shared(settings.allow_private))
        .user_agent(concat!("coupons-webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()?)
}

/// What an attempt came to, before the schedule decides what follows.
struct Attempt {
    status: Option<u16>,
    error: Option<String>,
    retry_after: Option<Duration>,
}

/// Sends `delivery` once and says what comes next.
pub async fn attempt(client: &Client, settings: &Settings, delivery: &Leased) -> Outcome {
    let started = Instant::now();
    let attempt = match post(client, settings, delivery).await {
        Ok(attempt) => attempt,
        Err(error) => Attempt {
            status: None,
            error: Some(error),
            retry_after: None,
        },
    };
    let seconds = started.elapsed().as_secs_f64();
    let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
    let gone = attempt.status == Some(StatusCode::GONE.as_u16());
    let next = retry::next_wait(&settings.schedule, delivery.attempt, retry::unit_random())
        .map(|wait| wait.max(attempt.retry_after.unwrap_or_default()));
    let (state, outcome, retry_in) = match (ok, next) {
        (true, _) => ("delivered", "delivered", Duration::ZERO),
        (false, Some(wait)) => ("pending", "retry", wait),
        (false, None) => ("failed", "failed", Duration::ZERO),
    };
    crate::telemetry::metrics::webhook_attempted(outcome, seconds);
    Outcome {
        id: delivery.id,
        endpoint_id: delivery.endpoint_id,
        state,
        retry_in,
        status: attempt.status.map(i32::from),
        error: attempt.error,
        latency_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        gone,
    }
}

async fn post(client: &Client, settings: &Settings, d: &Leased) -> Result<Attempt, String> {
    let url = target::parse(&d.url).map_err(|e| format!("refused: {e}"))?;
    // Names are checked by the client's resolver as it connects; address literals here.
    if !matches!(url.host(), Some(url::Host::Domain(_))) {
        target::check(&url, settings.allow_private)
            .await
            .map_err(|e| format!("refused: {e}"))?;
    }
    let timestamp = chrono::Utc::now().timestamp();
    let mut secrets = vec![d.secret.as_str()];
    secrets.extend(d.previous_secret.as_deref());
    let signature =
        sign::signature(&secrets, &d.event_id, timestamp, &d.body).map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(d.body.clone())
        .send()
        .await
        .map_err(|e| describe(&e, settings))?;
    let status = response.status();
    let retry_after = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    )
    .then(|| response.headers().get(header::RETRY_AFTER))
    .flatten()
    .and_then(|v| retry::retry_after(v, SystemTime::now()));
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let answer = read_start(response).await;
    let error = if status.is_success() {
        None
    } else if status.is_redirection() {
        Some(format!(
            "redirect not followed (to {})",
            location.as_deref().unwrap_or("nowhere")
        ))
    } else {
        Some(format!("answered {status}: {answer}"))
    };
    Ok(Attempt {
        status: Some(status.as_u16()),
        error,
        retry_after,
    })
}

/// The start of the answer's body (at most [`ANSWER_LIMIT`] bytes read), as text for the log.
async fn read_start(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < ANSWER_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    String::from_utf8_lossy(&bytes)
        .chars()
        .take(LOGGED_CHARS)
        .collect()
}

/// One line for a failed request: timeout, refusal by the address check, or the transport
/// error.
fn describe(error: &reqwest::Error, settings: &Settings) -> String {
    if error.is_timeout() {
        return format!("no answer within {} ms", settings.timeout.as_millis());
    }
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<target::Refused>() {
            return format!("refused: {refused}");
        }
        source = e.source();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        text = format!("{text}: {e}");
        source = e.source();
    }
    text
}
