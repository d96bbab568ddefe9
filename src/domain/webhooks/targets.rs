//! Where a webhook may be sent. By default only to public addresses: a service inside a
//! private network must not become a way to reach the network's other machines (SSRF). The
//! rule is checked on registration and again on every connection, after DNS resolution, on
//! the very addresses the connection then uses (so a name that later resolves elsewhere gains
//! nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Error, Result};

/// A webhook URL: absolute `http` or `https`, with a host, without credentials or a fragment,
/// at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl {
    url: String,
    host: String,
    port: u16,
}

impl TargetUrl {
    pub fn parse(raw: &str) -> Result<Self> {
        let invalid = |why: &str| Error::invalid("url", why);
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > 2000 {
            return Err(invalid("must be 1 to 2000 characters"));
        }
        let url =
            url::Url::parse(raw).map_err(|_| invalid("must be an absolute http or https URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("must be an absolute http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("must not carry a user name or password"));
        }
        if url.fragment().is_some() {
            return Err(invalid("must not have a fragment"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(invalid("must name a host")),
        };
        Ok(Self {
            port: url.port_or_known_default().unwrap_or(80),
            url: url.to_string(),
            host,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host without IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Whether a webhook may connect to `ip`: any address when `allow_private`, else only public
/// unicast ones.
pub fn permitted(ip: IpAddr, allow_private: bool) -> bool {
    allow_private || is_public(ip)
}

/// Public unicast: not loopback, private (RFC 1918, unique local), link-local, shared (CGNAT),
/// unspecified, broadcast, multicast, documentation, benchmarking or reserved; IPv6 forms that
/// embed an IPv4 address are judged by that address.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public_v4(v4);
            }
            let [first, second, third, ..] = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (first == 0x2001 && second == 0x0db8) // documentation
                || (first == 0x2001 && second == 0) // Teredo: tunnels to anywhere
                || first == 0x2002 // 6to4: embeds an IPv4 address
                || (first == 0x0064 && second == 0xff9b && third == 1) // local NAT64
                || (first == 0x0100 && second == 0 && third == 0)) // discard-only
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || (a == 100 && (b & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || (a == 192 && b == 88 && c == 99) // 6to4 relays
        || a >= 240) // reserved
}

/// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) or
/// NAT64 (64:ff9b::a.b.c.d) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    let mapped = s[..5].iter().all(|&x| x == 0) && s[5] == 0xffff;
    let translated = s[..4].iter().all(|&x| x == 0) && s[4] == 0xffff && s[5] == 0;
    let compatible = s[..6].iter().all(|&x| x == 0) && !ip.is_loopback() && !ip.is_unspecified();
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    (mapped || translated || compatible || nat64).then_some(tail)
}

/// Resolves `url`'s host (or reads it as an address) and refuses it unless every address is
/// permitted. Registration asks this; the connection asks [`permitted`] again of what it uses.
pub async fn check(url: &TargetUrl, allow_private: bool) -> Result<()> {
    if allow_private {
        // Every address is permitted: no need to ask DNS (nor to wait for it).
        return Ok(());
    }
    let addresses: Vec<IpAddr> = match url.host().parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((url.host(), url.port()))
            .await
            .map_err(|_| Error::invalid("url", "its host name does not resolve"))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(Error::invalid("url", "its host name does not resolve"));
    }
    if addresses.iter().any(|ip| !permitted(*ip, allow_private)) {
        return Err(Error::invalid(
            "url",
            "resolves to a private, loopback or link-local address; webhooks go to public \
             addresses only (webhooks.allow_private_targets opens the others)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn only_public_unicast_addresses_are_permitted_by_default() {
        for private in [
            "127.0.0.1",
            "127.9.9.9",
            "10.0.0.1",
            "10.255.255.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.2.10",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "64:ff9b:1::a00:1",
            "::ffff:0:7f00:1",
            "100::1",
            "192.88.99.1",
        ] {
            assert!(!permitted(ip(private), false), "{private} was permitted");
            assert!(
                permitted(ip(private), true),
                "{private} refused though allowed"
            );
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(permitted(ip(public), false), "{public} was refused");
        }
    }

    #[test]
    fn urls_are_absolute_http_without_credentials() {
        let url = TargetUrl::parse("https://hooks.example.org/recotrack?x=1").expect("valid");
        assert_eq!((url.host(), url.port()), ("hooks.example.org", 443));
        let url = TargetUrl::parse("http://[::1]:8080/in").expect("valid");
        assert_eq!((url.host(), url.port()), ("::1", 8080));
        // Decimal and hexadecimal spellings of an address are read as the address.
        let url = TargetUrl::parse("http://2130706433/").expect("valid");
        assert_eq!(url.host(), "127.0.0.1");
        let url = TargetUrl::parse("http://0x7f.1/").expect("valid");
        assert_eq!(url.host(), "127.0.0.1");
        for bad in [
            "",
            "hooks.example.org/in",
            "ftp://example.org/",
            "https://user:pw@example.org/",
            "https://example.org/#frag",
            "javascript:alert(1)",
        ] {
            assert!(TargetUrl::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_unless_allowed() {
        let url = TargetUrl::parse("http://localhost:9/").expect("valid");
        assert!(check(&url, false).await.is_err());
        assert!(check(&url, true).await.is_ok());
    }
}
