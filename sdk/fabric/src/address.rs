//! Peer and chaincode addresses as Fabric writes them (`host:port`).

/// The host part of `host:port`, `[v6]:port` or a bare host: the name a TLS server certificate
/// is checked against when no server name override is given.
pub fn host_of(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[')
        && let Some(end) = rest.find(']')
    {
        return &rest[..end];
    }
    match address.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((host, _)) if !host.contains(':') => host,
        _ => address,
    }
}
