use std::net::IpAddr;

use actix_web::HttpRequest;

/// The address of the client, as the socket reports it. (Addresses sent in
/// headers are not believed.)
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}
