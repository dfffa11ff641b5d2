//! `healthcheck`: for container health checks.

use anyhow::Context;

/// Asks GET /healthz over plain HTTP/1.1, without any HTTP client library
/// (container images carry no curl), and fails unless the answer is 200.
pub(super) fn healthcheck(address: Option<String>) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;
    let address = match address {
        Some(a) => a,
        None => {
            let mut bind: SocketAddr = std::env::var("BIND")
                .ok()
                .and_then(|b| b.trim().parse().ok())
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
            if bind.ip().is_unspecified() {
                bind.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            bind.to_string()
        }
    };
    let target: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .with_context(|| format!("{address}: not an address"))?
        .next()
        .with_context(|| format!("{address}: not an address"))?;
    let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(2))
        .with_context(|| format!("cannot connect to {target}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).context("no answer")?;
    if head.starts_with(b"HTTP/1.1 200") {
        println!("ok");
        Ok(())
    } else {
        anyhow::bail!("unhealthy: {}", String::from_utf8_lossy(&head))
    }
}
