//! A real HTTP receiver of webhooks on 127.0.0.1: it counts TCP connections (so a test can
//! prove that none was made), records every request, and answers as the test says.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper_util::{rt::TokioIo, server::conn::auto, service::TowerToHyperService};
use serde_json::Value;
use tokio::net::TcpListener;

/// How the receiver answers.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// `200` at once.
    Ok,
    /// `200` after a pause (widens the window in which two senders could overlap).
    Slow(Duration),
    /// `500` to the first `n` attempts of each event id, then `200`.
    FailFirst(usize),
    /// Always this status.
    Status(u16),
    /// This status with `Retry-After: secs` to the first attempt of each id, then `200`.
    RetryAfter(u16, u64),
    /// Never answers.
    Hang,
    /// `302` to this location.
    Redirect(String),
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }
}

#[derive(Default)]
struct Log {
    connections: usize,
    received: Vec<Received>,
    in_flight: HashMap<String, usize>,
    max_in_flight: usize,
}

/// A receiver; stops when dropped (its task ends with the test's runtime).
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub port: u16,
    log: Arc<Mutex<Log>>,
}

impl Receiver {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Log::default()));
        let (for_loop, behaviour) = (log.clone(), Arc::new(behaviour));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                for_loop.lock().unwrap().connections += 1;
                let (log, behaviour) = (for_loop.clone(), behaviour.clone());
                let app = axum::Router::new().fallback(move |headers, body| {
                    answer(log.clone(), behaviour.clone(), headers, body)
                });
                tokio::spawn(async move {
                    let service = TowerToHyperService::new(app);
                    let _ = auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            log,
        }
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.log.lock().unwrap().connections
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// The most attempts of one event id that were in flight at once.
    pub fn max_in_flight_per_id(&self) -> usize {
        self.log.lock().unwrap().max_in_flight
    }

    /// Waits until `done` holds for what was received, or `limit` passes; returns it.
    pub async fn wait_until(
        &self,
        limit: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let until = Instant::now() + limit;
        loop {
            let received = self.received();
            if done(&received) || Instant::now() > until {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn answer(
    log: Arc<Mutex<Log>>,
    behaviour: Arc<Behaviour>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _flight = InFlight(log.clone(), id.clone());
    let seen = {
        let mut log = log.lock().unwrap();
        let seen = log.received.iter().filter(|r| r.id == id).count();
        log.received.push(Received {
            id: id.clone(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        });
        let n = log.in_flight.entry(id.clone()).or_default();
        *n += 1;
        let n = *n;
        log.max_in_flight = log.max_in_flight.max(n);
        seen
    };
    match &*behaviour {
        Behaviour::Ok => StatusCode::OK.into_response(),
        Behaviour::Slow(pause) => {
            tokio::time::sleep(*pause).await;
            StatusCode::OK.into_response()
        }
        Behaviour::FailFirst(n) if seen < *n => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Behaviour::FailFirst(_) => StatusCode::OK.into_response(),
        Behaviour::Status(code) => StatusCode::from_u16(*code).unwrap().into_response(),
        Behaviour::RetryAfter(code, secs) if seen == 0 => (
            StatusCode::from_u16(*code).unwrap(),
            [(header::RETRY_AFTER, secs.to_string())],
        )
            .into_response(),
        Behaviour::RetryAfter(..) => StatusCode::OK.into_response(),
        Behaviour::Hang => std::future::pending().await,
        Behaviour::Redirect(to) => {
            (StatusCode::FOUND, [(header::LOCATION, to.clone())]).into_response()
        }
    }
}

/// Ends an attempt's flight when its answer is sent or the sender hangs up.
struct InFlight(Arc<Mutex<Log>>, String);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(n) = self.0.lock().unwrap().in_flight.get_mut(&self.1) {
            *n -= 1;
        }
    }
}
