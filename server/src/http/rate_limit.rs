//! Rate limits on claims (per client IP, per user, per API key) and on failed credentials (per
//! IP). Built on `governor` (GCRA: a steady rate plus a burst), keyed on the identity a claim
//! proves: a claim with a key counts against its key only, never its address (a shop's backend
//! is one address for all its shoppers); a claim without credentials counts against its address
//! and its user; a token's subject is its user. A limit says [`Refused`] and how long to wait;
//! the HTTP answer (`429` with `Retry-After` and the error JSON) is the caller's, so this module
//! knows nothing of the API above it.
//!
//! The client IP is the TCP peer, unless `TRUST_FORWARDED_FOR` says a trusted reverse proxy is in
//! front: then it is the last address of `X-Forwarded-For` (the one that proxy appended; earlier
//! ones are the client's own claims and could be anything).

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::ConnectInfo,
    http::{Extensions, HeaderMap},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

/// The limits of one process (each process counts its own clients).
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub trust_forwarded_for: bool,
    /// Claims without credentials per second per client IP, and the burst above that rate.
    pub claims_per_ip: (u32, u32),
    /// Claims per second per API key, and the burst.
    pub claims_per_key: (u32, u32),
    /// Claims per second per user id, and the burst.
    pub claims_per_user: (u32, u32),
    /// Failed sign-ins or admin tokens per minute per client IP (also the burst).
    pub auth_failures_per_minute: u32,
}

/// The client IP of a request, as these settings judge it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp {
    trust_forwarded_for: bool,
}

impl ClientIp {
    /// The client's address; unknown peers (a request that did not come over TCP) share one.
    pub fn of(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
        let forwarded = self
            .trust_forwarded_for
            .then(|| headers.get_all("x-forwarded-for").iter().next_back())
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok());
        forwarded
            .or(peer.map(|p| p.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

/// A request a limit refused, and how long its sender must wait before the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub Duration);

impl Refused {
    /// The wait in whole seconds, at least 1 (the `Retry-After` value).
    pub fn retry_after_secs(self) -> u64 {
        self.0.as_secs().max(1)
    }
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

/// The keyed limits checked inside handlers and the admin guard. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct RateLimits(Arc<Limiters>);

struct Limiters {
    settings: RateLimitSettings,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_user: DefaultKeyedRateLimiter<String>,
    per_key: DefaultKeyedRateLimiter<i64>,
    auth_failures: DefaultKeyedRateLimiter<IpAddr>,
    /// IPs refused every credential until the given moment (they used up their failures).
    locked_out: Mutex<HashMap<IpAddr, Instant>>,
}

/// How long a refused key must wait.
fn wait(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Duration {
    not_until.wait_time_from(governor::clock::DefaultClock::default().now())
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Self {
        let limit = |(per_second, burst)| quota(per_second, burst);
        let failures =
            NonZeroU32::new(settings.auth_failures_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self(Arc::new(Limiters {
            settings,
            per_ip: RateLimiter::keyed(limit(settings.claims_per_ip)),
            per_user: RateLimiter::keyed(limit(settings.claims_per_user)),
            per_key: RateLimiter::keyed(limit(settings.claims_per_key)),
            auth_failures: RateLimiter::keyed(Quota::per_minute(failures)),
            locked_out: Mutex::default(),
        }))
    }

    /// The settings these limits were built from.
    pub fn settings(&self) -> &RateLimitSettings {
        &self.0.settings
    }

    /// The client IP of a request with these `headers` and `extensions` (the peer address).
    pub fn client_ip(&self, headers: &HeaderMap, extensions: &Extensions) -> IpAddr {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        ClientIp {
            trust_forwarded_for: self.0.settings.trust_forwarded_for,
        }
        .of(headers, peer)
    }

    /// One claim by `user_id`: refused when that user claims too fast.
    pub fn claim_by_user(&self, user_id: &str) -> Result<(), Refused> {
        self.check(&self.0.per_user, &user_id.to_owned(), "claims_per_user")
    }

    /// One claim without credentials from `ip`: refused when that address claims too fast.
    pub fn claim_by_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        self.check(&self.0.per_ip, &ip, "claims_per_ip")
    }

    /// One claim with API key `id`: refused when that key claims too fast.
    pub fn claim_by_key(&self, id: i64) -> Result<(), Refused> {
        self.check(&self.0.per_key, &id, "claims_per_key")
    }

    fn check<K: Clone + Eq + std::hash::Hash>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
        limit: &'static str,
    ) -> Result<(), Refused> {
        if !self.0.settings.enabled {
            return Ok(());
        }
        limiter.check_key(key).map_err(|not_until| {
            crate::telemetry::metrics::rate_limited(limit);
            Refused(wait(not_until))
        })
    }

    /// Refused when `ip` used up its credential failures: refuse before checking anything.
    pub fn locked_out(&self, ip: IpAddr) -> Result<(), Refused> {
        if !self.0.settings.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let locked = self.0.locked_out.lock().unwrap_or_else(|p| p.into_inner());
        match locked.get(&ip) {
            Some(until) if *until > now => {
                crate::telemetry::metrics::rate_limited("auth_failures");
                Err(Refused(*until - now))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in or token from `ip`: refused when that one was too many (the IP is
    /// then locked out for the wait).
    pub fn auth_failed(&self, ip: IpAddr) -> Result<(), Refused> {
        if !self.0.settings.enabled {
            return Ok(());
        }
        self.0.auth_failures.check_key(&ip).map_err(|not_until| {
            crate::telemetry::metrics::rate_limited("auth_failures");
            let wait = wait(not_until);
            let mut locked = self.0.locked_out.lock().unwrap_or_else(|p| p.into_inner());
            locked.insert(ip, Instant::now() + wait);
            Refused(wait)
        })
    }

    /// Forgets idle keys, so the maps hold only recent clients (run it now and then).
    pub fn forget_idle(&self) {
        self.0.per_ip.retain_recent();
        self.0.per_user.retain_recent();
        self.0.per_key.retain_recent();
        self.0.auth_failures.retain_recent();
        let now = Instant::now();
        let mut locked = self.0.locked_out.lock().unwrap_or_else(|p| p.into_inner());
        locked.retain(|_, until| *until > now);
    }
}

/// Extractor: the client IP of the request, as [`RateLimits`] judges it.
pub struct ClientAddr(pub IpAddr);

impl<S> axum::extract::FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    RateLimits: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let limits = <RateLimits as axum::extract::FromRef<S>>::from_ref(state);
        Ok(Self(limits.client_ip(&parts.headers, &parts.extensions)))
    }
}
