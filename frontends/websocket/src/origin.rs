//! The origin checks of the upgrade (`same_origin`, `allowed_origins`), as the Go server
//! makes them: only when the request carries an `Origin` (or `Sec-WebSocket-Origin`) header,
//! which browsers send; hosts compare lower-cased, a missing port is 80 for `http`
//! and 443 for `https` (and for the request's `Host`, 443 when it came over TLS).

/// Allowed origins at most.
pub const ALLOWED_ORIGINS_MAX: usize = 1024;

/// One allowed origin: scheme, lower-cased host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    scheme: String,
    host: String,
    port: String,
}

/// The configured origin policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins {
    same_origin: bool,
    allowed: Vec<Allowed>,
    /// The list as configured, for monitoring.
    listed: Vec<String>,
}

impl Origins {
    /// Parses the allowed origins; an unparsable one is Go's `unable to parse allowed origin`.
    pub fn new(same_origin: bool, allowed_origins: &[String]) -> Result<Self, String> {
        if allowed_origins.len() > ALLOWED_ORIGINS_MAX {
            return Err(format!(
                "more than {ALLOWED_ORIGINS_MAX} allowed origins are configured"
            ));
        }
        let mut allowed = Vec::with_capacity(allowed_origins.len());
        for origin in allowed_origins {
            let (scheme, authority) = split_origin(origin)
                .ok_or_else(|| format!("unable to parse allowed origin: {origin:?}"))?;
            let (host, port) = host_and_port(scheme == "https", authority)
                .ok_or_else(|| format!("unable to parse allowed origin: {origin:?}"))?;
            allowed.push(Allowed {
                scheme: scheme.to_owned(),
                host,
                port,
            });
        }
        Ok(Self {
            same_origin,
            allowed,
            listed: allowed_origins.to_vec(),
        })
    }

    /// `same_origin`.
    pub fn same_origin(&self) -> bool {
        self.same_origin
    }

    /// `allowed_origins` as configured.
    pub fn allowed_origins(&self) -> &[String] {
        &self.listed
    }

    /// Checks a request's origin against the policy; the error is Go's reason.
    pub fn check(&self, origin: Option<&str>, request_host: &str, tls: bool) -> Result<(), String> {
        if !self.same_origin && self.allowed.is_empty() {
            return Ok(());
        }
        let Some(origin) = origin.filter(|origin| !origin.is_empty()) else {
            return Ok(());
        };
        let unparsable = || format!("unable to parse origin {origin:?}");
        let (scheme, authority) = split_origin(origin).ok_or_else(unparsable)?;
        let (host, port) = host_and_port(scheme == "https", authority).ok_or_else(unparsable)?;
        if self.same_origin {
            let (request_host, request_port) =
                host_and_port(tls, request_host).ok_or_else(|| "invalid Host".to_owned())?;
            if host != request_host || port != request_port {
                return Err("not same origin".to_owned());
            }
        }
        if !self.allowed.is_empty()
            && !self.allowed.iter().any(|allowed| {
                allowed.host == host && allowed.scheme == scheme && allowed.port == port
            })
        {
            return Err("not in the allowed list".to_owned());
        }
        Ok(())
    }
}

/// `scheme://authority[/path...]` into scheme (lower-cased by the caller's comparison) and
/// authority; `None` for anything else.
fn split_origin(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    // A user part is not an origin.
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some((scheme, authority))
}

/// Host (lower-cased) and port of `host[:port]` or `[v6][:port]`, the port defaulted by
/// scheme as Go's `wsGetHostAndPort` does.
fn host_and_port(tls: bool, authority: &str) -> Option<(String, String)> {
    let default_port = if tls { "443" } else { "80" };
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, rest) = bracketed.split_once(']')?;
        match rest {
            "" => (host, default_port),
            _ => (host, rest.strip_prefix(':')?),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => return None,
            Some((host, port)) => (host, port),
            None => (authority, default_port),
        }
    };
    if port.is_empty() || !port.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some((host.to_ascii_lowercase(), port.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_policy_accepts_everything() {
        let origins = Origins::default();
        assert!(
            origins
                .check(Some("http://evil"), "localhost", false)
                .is_ok()
        );
    }

    #[test]
    fn same_origin_compares_host_and_port_with_scheme_defaults() {
        let origins = Origins::new(true, &[]).expect("origins");
        assert!(
            origins
                .check(Some("http://LocalHost"), "localhost:80", false)
                .is_ok()
        );
        assert!(
            origins
                .check(Some("https://localhost"), "localhost", true)
                .is_ok()
        );
        assert!(
            origins.check(None, "localhost", false).is_ok(),
            "no Origin, no check"
        );
        assert_eq!(
            origins.check(Some("http://localhost:81"), "localhost", false),
            Err("not same origin".to_owned())
        );
        assert!(origins.check(Some("garbage"), "localhost", false).is_err());
    }

    #[test]
    fn allowed_origins_match_scheme_host_and_port() {
        let listed = vec![
            "https://www.example.com".to_owned(),
            "http://[::1]:8080".to_owned(),
        ];
        let origins = Origins::new(false, &listed).expect("origins");
        assert!(
            origins
                .check(Some("https://www.example.com:443"), "x", false)
                .is_ok()
        );
        assert!(
            origins
                .check(Some("http://[::1]:8080/page"), "x", false)
                .is_ok()
        );
        assert_eq!(
            origins.check(Some("http://www.example.com"), "x", false),
            Err("not in the allowed list".to_owned())
        );
        assert!(Origins::new(false, &["not a url".to_owned()]).is_err());
    }
}
