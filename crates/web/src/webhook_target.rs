//! Where a webhook URL leads: its host resolved, every address checked public
//! (`nobat_core::net::is_public`). Used when an endpoint is registered (the admin hears why at
//! once) and again before each delivery (a name may be pointed elsewhere later).

use std::net::IpAddr;
use std::time::Duration;

/// The host and port of an `http(s)://` URL (brackets of an IPv6 literal removed).
fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    // Credentials in the URL (`user:pass@host`) are not the host.
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = after.strip_prefix(':').map_or(Some(default), |p| p.parse().ok())?;
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_owned(), p.parse().ok()?)),
        None => Some((authority.to_owned(), default)),
    }
}

/// `Ok` when every address the URL's host resolves to is public; else why not, in words.
pub async fn check_public(url: &str) -> Result<(), String> {
    let (host, port) = host_port(url).ok_or_else(|| "has no host".to_owned())?;
    if host.is_empty() {
        return Err("has no host".into());
    }
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let lookup = tokio::net::lookup_host((host.as_str(), port));
            match tokio::time::timeout(Duration::from_secs(5), lookup).await {
                Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                Ok(Err(e)) => return Err(format!("`{host}` does not resolve ({e})")),
                Err(_) => return Err(format!("`{host}` did not resolve within 5 s")),
            }
        }
    };
    if addrs.is_empty() {
        return Err(format!("`{host}` resolves to no address"));
    }
    match addrs.iter().find(|a| !nobat_core::net::is_public(**a)) {
        Some(a) => Err(format!(
            "resolves to {a}, a loopback, private, link-local or multicast address (the operator may allow those with webhook_allow_private_addresses)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_port("https://a.example/x"), Some(("a.example".into(), 443)));
        assert_eq!(host_port("http://u:p@10.0.0.1:8080/x?y"), Some(("10.0.0.1".into(), 8080)));
        assert_eq!(host_port("http://[::1]:9/x"), Some(("::1".into(), 9)));
        assert_eq!(host_port("http://[fe80::1]/"), Some(("fe80::1".into(), 80)));
    }
}
