//! The verification endpoint: parsing the base URL and deciding whether a secret may go there.
//!
//! A secret is only ever sent to the one configured endpoint, over HTTPS. Plain `http://` is
//! accepted only for a loopback host, so that tests can run a local server without a
//! certificate and nothing leaves the machine in clear text.

use std::net::IpAddr;

use thiserror::Error;
use ureq::http::Uri;

/// Why an endpoint URL cannot be used.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Not a URL at all.
    #[error("the verification endpoint `{0}` is not a valid URL")]
    Malformed(String),
    /// A scheme other than `https` (or `http` for loopback).
    #[error(
        "the verification endpoint `{0}` must use https (plain http is allowed only for \
         localhost and 127.0.0.0/8 or ::1)"
    )]
    Insecure(String),
    /// No host name.
    #[error("the verification endpoint `{0}` has no host")]
    NoHost(String),
    /// A user name or password in the URL.
    #[error("the verification endpoint `{0}` must not contain a user name or password")]
    Credentials(String),
    /// A query string or fragment, which the API paths cannot be appended to.
    #[error("the verification endpoint `{0}` must not contain a query or fragment")]
    Query(String),
}

/// A checked verification endpoint: the API base URL without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: String,
    is_plain_http: bool,
}

impl Endpoint {
    /// Checks `url`: an absolute `https://` URL, or `http://` to a loopback host.
    pub fn parse(url: &str) -> Result<Endpoint, EndpointError> {
        let trimmed = url.trim();
        let uri: Uri = trimmed
            .parse()
            .map_err(|_| EndpointError::Malformed(url.to_string()))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| EndpointError::Malformed(url.to_string()))?
            .to_ascii_lowercase();
        let authority = uri
            .authority()
            .ok_or_else(|| EndpointError::NoHost(url.to_string()))?;
        if authority.as_str().contains('@') {
            return Err(EndpointError::Credentials(url.to_string()));
        }
        if uri.query().is_some() || trimmed.contains('#') {
            return Err(EndpointError::Query(url.to_string()));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(EndpointError::NoHost(url.to_string()));
        }
        let is_plain_http = match scheme.as_str() {
            "https" => false,
            "http" if is_loopback(host) => true,
            _ => return Err(EndpointError::Insecure(url.to_string())),
        };
        Ok(Endpoint {
            base: trimmed.trim_end_matches('/').to_string(),
            is_plain_http,
        })
    }

    /// The full URL of an API path such as `api-keys`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// The base URL, for messages (it holds no secret).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether this is a loopback `http://` endpoint (tests); proxies are never used for it.
    pub fn is_plain_http(&self) -> bool {
        self.is_plain_http
    }
}

/// Whether `host` (as written in a URL, IPv6 in brackets) names the local machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>()
        .map(|address| address.is_loopback())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_endpoints_are_accepted_and_paths_appended() {
        let endpoint = Endpoint::parse("https://api.cline.bot/api/v1/").unwrap();
        assert_eq!(
            endpoint.url("api-keys"),
            "https://api.cline.bot/api/v1/api-keys"
        );
        assert!(!endpoint.is_plain_http());
    }

    #[test]
    fn plain_http_is_accepted_only_for_loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080/api/v1",
            "http://127.3.4.5/api",
            "http://localhost:9/x",
            "http://[::1]:8080/api/v1",
        ] {
            let endpoint = Endpoint::parse(url).unwrap_or_else(|error| panic!("{url}: {error}"));
            assert!(endpoint.is_plain_http());
        }
        for url in [
            "http://api.cline.bot/api/v1",
            "http://10.0.0.1/api",
            "http://127.0.0.1.example.com/",
            "http://localhost.example.com/",
            "ftp://127.0.0.1/",
        ] {
            assert!(
                matches!(Endpoint::parse(url), Err(EndpointError::Insecure(_))),
                "{url} was accepted"
            );
        }
    }

    #[test]
    fn malformed_and_credential_bearing_urls_are_refused() {
        assert!(matches!(
            Endpoint::parse("not a url"),
            Err(EndpointError::Malformed(_))
        ));
        assert!(matches!(
            Endpoint::parse("/api/v1"),
            Err(EndpointError::Malformed(_) | EndpointError::NoHost(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://user:pass@api.cline.bot/api/v1"),
            Err(EndpointError::Credentials(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://api.cline.bot/api/v1?x=1"),
            Err(EndpointError::Query(_))
        ));
    }

    #[test]
    fn the_error_message_names_the_url_and_the_rule() {
        let message = Endpoint::parse("http://example.com")
            .unwrap_err()
            .to_string();
        assert!(message.contains("`http://example.com`") && message.contains("https"));
    }
}
