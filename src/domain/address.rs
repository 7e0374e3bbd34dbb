//! Which network addresses an outbound request may reach.
//!
//! [`classify`] names the range an address belongs to; only
//! [`Range::Public`] is reachable without the operator's say-so. IPv6
//! spellings that carry an IPv4 address (IPv4-mapped, IPv4-compatible,
//! NAT64, 6to4) are classified as the IPv4 address they carry, so
//! `::ffff:127.0.0.1` is loopback like `127.0.0.1`. [`AllowList`] holds the
//! networks an operator lets through despite their range
//! (`CONNECTORS_CHECK_ALLOW_NETWORKS`), and [`verdict`] combines the two.
//!
//! Everything here is pure: host names are resolved elsewhere, and numeric
//! host spellings (`2130706433`, `0x7f.1`, `127.1`) are turned into
//! addresses by the URL parser before they get here.

use ipnet::IpNet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The range an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Globally routable: reachable by default.
    Public,
    /// 0.0.0.0/8 other than 0.0.0.0 ("this network").
    ThisNetwork,
    /// 0.0.0.0 and `::`.
    Unspecified,
    /// 127.0.0.0/8 and `::1`.
    Loopback,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    Private,
    /// 100.64.0.0/10, carrier-grade NAT (RFC 6598).
    SharedAddressSpace,
    /// 169.254/16 (cloud metadata services live here) and fe80::/10.
    LinkLocal,
    /// fc00::/7 (RFC 4193).
    UniqueLocal,
    /// fec0::/10, deprecated site-local IPv6.
    SiteLocal,
    /// 224/4 and ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// TEST-NET-1/2/3, 2001:db8::/32 and 3fff::/20.
    Documentation,
    /// 198.18/15 and 2001:2::/48.
    Benchmarking,
    /// 192.0.0.0/24, 2001::/23 (Teredo, ORCHID and other protocol
    /// assignments), 64:ff9b:1::/48 (local NAT64), 100::/64 (discard).
    ProtocolAssignment,
    /// 192.88.99.0/24, the deprecated 6to4 relay anycast.
    Relay,
    /// 240/4 and IPv6 outside the global unicast range 2000::/3.
    Reserved,
}

impl Range {
    pub fn is_public(self) -> bool {
        self == Range::Public
    }

    /// A few words for messages: "a loopback address".
    pub fn describe(self) -> &'static str {
        match self {
            Range::Public => "a public address",
            Range::ThisNetwork => "a \"this network\" address",
            Range::Unspecified => "the unspecified address",
            Range::Loopback => "a loopback address",
            Range::Private => "a private network address",
            Range::SharedAddressSpace => "a carrier-grade NAT address",
            Range::LinkLocal => "a link-local address",
            Range::UniqueLocal => "a unique-local IPv6 address",
            Range::SiteLocal => "a site-local IPv6 address",
            Range::Multicast => "a multicast address",
            Range::Broadcast => "the broadcast address",
            Range::Documentation => "a documentation address",
            Range::Benchmarking => "a benchmarking address",
            Range::ProtocolAssignment => "a reserved protocol address",
            Range::Relay => "a 6to4 relay address",
            Range::Reserved => "a reserved address",
        }
    }
}

/// The range of `ip`, looking through IPv6 spellings of IPv4 addresses.
pub fn classify(ip: IpAddr) -> Range {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 address stands for, if it is one of the
/// spellings that carry one: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d` (deprecated, but still an IPv4 address to some stacks),
/// NAT64 `64:ff9b::a.b.c.d` (RFC 6052) and 6to4 `2002:aabb:ccdd::/48`.
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff {
        return Some(tail(s[6], s[7]));
    }
    // `::` and `::1` are IPv6's own unspecified and loopback addresses.
    if s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1) {
        return Some(tail(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(tail(s[1], s[2]));
    }
    None
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Range {
    const TABLE: &[([u8; 4], u32, Range)] = &[
        ([0, 0, 0, 0], 32, Range::Unspecified),
        ([0, 0, 0, 0], 8, Range::ThisNetwork),
        ([10, 0, 0, 0], 8, Range::Private),
        ([100, 64, 0, 0], 10, Range::SharedAddressSpace),
        ([127, 0, 0, 0], 8, Range::Loopback),
        ([169, 254, 0, 0], 16, Range::LinkLocal),
        ([172, 16, 0, 0], 12, Range::Private),
        ([192, 0, 0, 0], 24, Range::ProtocolAssignment),
        ([192, 0, 2, 0], 24, Range::Documentation),
        ([192, 88, 99, 0], 24, Range::Relay),
        ([192, 168, 0, 0], 16, Range::Private),
        ([198, 18, 0, 0], 15, Range::Benchmarking),
        ([198, 51, 100, 0], 24, Range::Documentation),
        ([203, 0, 113, 0], 24, Range::Documentation),
        ([224, 0, 0, 0], 4, Range::Multicast),
        ([255, 255, 255, 255], 32, Range::Broadcast),
        ([240, 0, 0, 0], 4, Range::Reserved),
    ];
    TABLE
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, range)| *range)
        .unwrap_or(Range::Public)
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    u128::from(ip) & mask == u128::from(net) & mask
}

fn classify_v6(ip: Ipv6Addr) -> Range {
    const fn a(s: [u16; 8]) -> Ipv6Addr {
        Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
    }
    const TABLE: &[(Ipv6Addr, u32, Range)] = &[
        (Ipv6Addr::UNSPECIFIED, 128, Range::Unspecified),
        (Ipv6Addr::LOCALHOST, 128, Range::Loopback),
        (
            a([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]),
            48,
            Range::ProtocolAssignment,
        ),
        (
            a([0x100, 0, 0, 0, 0, 0, 0, 0]),
            64,
            Range::ProtocolAssignment,
        ),
        (a([0x2001, 2, 0, 0, 0, 0, 0, 0]), 48, Range::Benchmarking),
        (
            a([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
            32,
            Range::Documentation,
        ),
        (
            a([0x2001, 0, 0, 0, 0, 0, 0, 0]),
            23,
            Range::ProtocolAssignment,
        ),
        (a([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20, Range::Documentation),
        (a([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7, Range::UniqueLocal),
        (a([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 10, Range::LinkLocal),
        (a([0xfec0, 0, 0, 0, 0, 0, 0, 0]), 10, Range::SiteLocal),
        (a([0xff00, 0, 0, 0, 0, 0, 0, 0]), 8, Range::Multicast),
        (a([0x2000, 0, 0, 0, 0, 0, 0, 0]), 3, Range::Public),
    ];
    TABLE
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
        .map(|(_, _, range)| *range)
        .unwrap_or(Range::Reserved)
}

/// Networks the operator lets outbound requests reach despite their
/// range: `CONNECTORS_CHECK_ALLOW_NETWORKS`, a comma-separated list of
/// CIDR networks (a bare address means that one address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a network like 10.0.0.0/8, 192.168.1.5/32 or fd00::/8")]
pub struct AllowListError(pub String);

impl AllowList {
    pub fn new(networks: Vec<IpNet>) -> AllowList {
        AllowList(networks.into_iter().map(|n| n.trunc()).collect())
    }

    /// Parses `10.0.0.0/8, 127.0.0.2/32`. Empty text is the empty list.
    pub fn parse(text: &str) -> Result<AllowList, AllowListError> {
        let mut networks = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = match part.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => match part.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => return Err(AllowListError(part.to_string())),
                },
            };
            // A host part after the prefix ("10.1.2.3/8") would silently
            // allow a wider network than the operator wrote.
            if net.trunc() != net {
                return Err(AllowListError(part.to_string()));
            }
            networks.push(net);
        }
        Ok(AllowList::new(networks))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether `ip`, or the IPv4 address it spells, is in one of the
    /// networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.0
            .iter()
            .any(|net| net.contains(&ip) || embedded.is_some_and(|e| net.contains(&e)))
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// The address a URL's host spells, when it is an IP literal. The URL
/// parser (WHATWG rules) has already turned every numeric IPv4 spelling
/// into its address: `http://2130706433/`, `http://0x7f.1/`,
/// `http://017700000001/` and `http://127.1/` all have host `127.0.0.1`.
pub fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Why an address may not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked {
    pub address: IpAddr,
    pub range: Range,
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.address, self.range.describe())
    }
}

/// Whether an outbound request may reach `ip`: a public address, or one in
/// the operator's allow list.
pub fn verdict(ip: IpAddr, allow: &AllowList) -> Result<(), Blocked> {
    let range = classify(ip);
    if range.is_public() || allow.contains(ip) {
        Ok(())
    } else {
        Err(Blocked { address: ip, range })
    }
}

#[cfg(test)]
mod tests;
