//! Which URLs a webhook may call (server-side request forgery): `http` or `https`, no user
//! name or password, and a host whose every address is public. Checked when an endpoint is
//! saved and again at each attempt, where the HTTP client resolves names through
//! [`PublicResolver`], so the address checked is the address connected to (a name that
//! resolves elsewhere by then, DNS rebinding, is refused at connection time).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};

/// Why a URL is refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("url is not a valid absolute URL ({0})")]
    Invalid(String),
    #[error("url must be http or https")]
    Scheme,
    #[error("url must not carry a user name or password")]
    Credentials,
    #[error("url's host {host} is a {kind} address ({addr}): webhooks go to public addresses only")]
    Private {
        host: String,
        addr: IpAddr,
        kind: &'static str,
    },
    #[error("url's host {0} does not resolve")]
    Unresolved(String),
}

/// The URL `text`, if its form is acceptable (scheme, no credentials, a host).
pub fn parse(text: &str) -> Result<Url, Refused> {
    let url = Url::parse(text).map_err(|e| Refused::Invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Refused::Invalid("no host".into()));
    }
    Ok(url)
}

/// Checks `url`'s host: an address literal at once, a name by resolving it (no connection is
/// made). With `allow_private`, only the form is checked.
pub async fn check(url: &Url, allow_private: bool) -> Result<(), Refused> {
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) => return public(&ip.to_string(), IpAddr::V4(ip), allow_private),
        Some(url::Host::Ipv6(ip)) => return public(&ip.to_string(), IpAddr::V6(ip), allow_private),
        Some(url::Host::Domain(name)) => name.to_owned(),
        None => return Err(Refused::Invalid("no host".into())),
    };
    if allow_private {
        return Ok(());
    }
    resolve(&host, false).await.map(drop)
}

fn public(host: &str, addr: IpAddr, allow_private: bool) -> Result<(), Refused> {
    match kind_of(addr) {
        Some(kind) if !allow_private => Err(Refused::Private {
            host: host.to_owned(),
            addr,
            kind,
        }),
        _ => Ok(()),
    }
}

/// Resolves `host`; refuses it if any of its addresses is not public (unless allowed).
async fn resolve(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, Refused> {
    let unresolved = || Refused::Unresolved(host.to_owned());
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| unresolved())?
        .collect();
    if addrs.is_empty() {
        return Err(unresolved());
    }
    for addr in &addrs {
        public(host, addr.ip(), allow_private)?;
    }
    Ok(addrs)
}

/// The HTTP client's resolver: resolves as the system does, then refuses a name with any
/// non-public address, so the connection goes only where the check allowed.
#[derive(Debug, Clone)]
pub struct PublicResolver {
    pub allow_private: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = resolve(name.as_str(), allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

impl PublicResolver {
    pub fn shared(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

/// What kind of non-public address `addr` is, `None` for a public one.
pub fn kind_of(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(v4) => kind_of_v4(v4),
        IpAddr::V6(v6) => kind_of_v6(v6),
    }
}

fn kind_of_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, ..) => "unspecified",
        (127, ..) => "loopback",
        (10, ..) | (192, 168, _) => "private",
        (172, 16..=31, _) => "private",
        (169, 254, 169) if ip.octets()[3] == 254 => "metadata",
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared (carrier NAT)",
        (192, 0, 0) => "protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, ..) => "multicast",
        (240..=255, ..) => "reserved",
        _ => return None,
    })
}

fn kind_of_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return kind_of_v4(v4);
    }
    let s = ip.segments();
    Some(match s {
        [0, 0, 0, 0, 0, 0, 0, 0] => "unspecified",
        [0, 0, 0, 0, 0, 0, 0, 1] => "loopback",
        // NAT64: the IPv4 address inside decides.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            return kind_of_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
        }
        [0, 0, 0, 0, 0, 0, _, _] => "IPv4-compatible",
        [0x2001, 0xdb8, ..] => "documentation",
        _ if s[0] & 0xfe00 == 0xfc00 => "unique local (private)",
        _ if s[0] & 0xffc0 == 0xfe80 => "link-local",
        _ if s[0] & 0xff00 == 0xff00 => "multicast",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_named() {
        for (addr, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.0.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "metadata"),
            ("169.254.1.1", "link-local"),
            ("100.100.100.200", "shared (carrier NAT)"),
            ("0.0.0.0", "unspecified"),
            ("255.255.255.255", "reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "metadata"),
            ("64:ff9b::a00:1", "private"),
            ("fd00:ec2::254", "unique local (private)"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
        ] {
            assert_eq!(kind_of(addr.parse().unwrap()), Some(kind), "{addr}");
        }
        for public in ["93.184.215.14", "172.32.0.1", "8.8.8.8", "2606:4700::1111"] {
            assert_eq!(kind_of(public.parse().unwrap()), None, "{public}");
        }
    }

    #[test]
    fn url_forms() {
        assert_eq!(parse("file:///etc/passwd"), Err(Refused::Scheme));
        assert_eq!(parse("gopher://example.com/"), Err(Refused::Scheme));
        assert_eq!(parse("http://u:p@example.com/"), Err(Refused::Credentials));
        assert!(matches!(
            parse("example.com/hook"),
            Err(Refused::Invalid(_))
        ));
        assert!(parse("https://example.com/hook?x=1").is_ok());
    }
}
