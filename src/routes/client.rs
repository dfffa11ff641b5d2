use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The address of the client. The socket's peer, unless the peer is one of
/// `trusted` reverse proxies (`TRUSTED_PROXIES`): then the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. Headers from anyone
/// else are not believed.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    from_forwarded(peer, trusted, req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()))
}

fn from_forwarded<'a>(peer: IpAddr, trusted: &[IpNet], headers: impl Iterator<Item = &'a str>) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return Some(ip),
            // Garbage: stop believing the header here.
            Err(_) => break,
        }
    }
    Some(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &[&str]) -> Vec<IpNet> {
        s.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = nets(&["10.0.0.0/24"]);
        let forwarded = |h: &[&str]| from_forwarded(proxy, &trusted, h.iter().copied()).unwrap().to_string();
        assert_eq!(forwarded(&["203.0.113.9"]), "203.0.113.9");
        assert_eq!(forwarded(&["198.51.100.1, 203.0.113.9, 10.0.0.7"]), "203.0.113.9", "the nearest untrusted hop");
        assert_eq!(forwarded(&[]), "10.0.0.2");
        assert_eq!(forwarded(&["not-an-ip"]), "10.0.0.2");
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            from_forwarded(stranger, &trusted, ["203.0.113.9"].into_iter()),
            Some(stranger),
            "spoofed by a stranger"
        );
        assert_eq!(from_forwarded(proxy, &[], ["203.0.113.9"].into_iter()), Some(proxy), "nobody trusted by default");
    }
}
