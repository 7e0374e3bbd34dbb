use super::*;
use url::Url;

fn range(text: &str) -> Range {
    classify(text.parse().unwrap())
}

#[test]
fn ipv4_ranges() {
    let cases = [
        ("0.0.0.0", Range::Unspecified),
        ("0.1.2.3", Range::ThisNetwork),
        ("0.255.255.255", Range::ThisNetwork),
        ("10.0.0.0", Range::Private),
        ("10.255.255.255", Range::Private),
        ("11.0.0.0", Range::Public),
        ("100.63.255.255", Range::Public),
        ("100.64.0.0", Range::SharedAddressSpace),
        ("100.127.255.255", Range::SharedAddressSpace),
        ("100.128.0.0", Range::Public),
        ("126.255.255.255", Range::Public),
        ("127.0.0.0", Range::Loopback),
        ("127.0.0.1", Range::Loopback),
        ("127.0.0.2", Range::Loopback),
        ("127.255.255.255", Range::Loopback),
        ("128.0.0.0", Range::Public),
        ("169.253.255.255", Range::Public),
        ("169.254.0.0", Range::LinkLocal),
        ("169.254.169.254", Range::LinkLocal),
        ("169.254.255.255", Range::LinkLocal),
        ("169.255.0.0", Range::Public),
        ("172.15.255.255", Range::Public),
        ("172.16.0.0", Range::Private),
        ("172.31.255.255", Range::Private),
        ("172.32.0.0", Range::Public),
        ("192.0.0.0", Range::ProtocolAssignment),
        ("192.0.0.255", Range::ProtocolAssignment),
        ("192.0.1.0", Range::Public),
        ("192.0.2.0", Range::Documentation),
        ("192.0.2.255", Range::Documentation),
        ("192.88.99.1", Range::Relay),
        ("192.167.255.255", Range::Public),
        ("192.168.0.0", Range::Private),
        ("192.168.255.255", Range::Private),
        ("192.169.0.0", Range::Public),
        ("198.17.255.255", Range::Public),
        ("198.18.0.0", Range::Benchmarking),
        ("198.19.255.255", Range::Benchmarking),
        ("198.20.0.0", Range::Public),
        ("198.51.100.7", Range::Documentation),
        ("203.0.113.9", Range::Documentation),
        ("203.0.114.0", Range::Public),
        ("223.255.255.255", Range::Public),
        ("224.0.0.0", Range::Multicast),
        ("239.255.255.255", Range::Multicast),
        ("240.0.0.0", Range::Reserved),
        ("255.255.255.254", Range::Reserved),
        ("255.255.255.255", Range::Broadcast),
        ("8.8.8.8", Range::Public),
        ("1.1.1.1", Range::Public),
    ];
    for (text, expected) in cases {
        assert_eq!(range(text), expected, "{text}");
    }
}

#[test]
fn ipv6_ranges() {
    let cases = [
        ("::", Range::Unspecified),
        ("::1", Range::Loopback),
        ("fc00::", Range::UniqueLocal),
        ("fd12:3456::1", Range::UniqueLocal),
        (
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            Range::UniqueLocal,
        ),
        ("fe80::", Range::LinkLocal),
        ("fe80::1", Range::LinkLocal),
        ("febf:ffff::1", Range::LinkLocal),
        ("fec0::1", Range::SiteLocal),
        ("ff02::1", Range::Multicast),
        ("ff0e::101", Range::Multicast),
        ("2001:db8::1", Range::Documentation),
        ("3fff:fff::1", Range::Documentation),
        ("2001::1", Range::ProtocolAssignment),
        ("2001:10::1", Range::ProtocolAssignment),
        ("2001:20::1", Range::ProtocolAssignment),
        ("2001:2::5", Range::Benchmarking),
        ("64:ff9b:1::1", Range::ProtocolAssignment),
        ("100::1", Range::ProtocolAssignment),
        ("2001:4860:4860::8888", Range::Public),
        ("2606:4700:4700::1111", Range::Public),
        ("2a00:1450::1", Range::Public),
        ("4000::1", Range::Reserved),
        ("1::1", Range::Reserved),
        ("e000::1", Range::Reserved),
    ];
    for (text, expected) in cases {
        assert_eq!(range(text), expected, "{text}");
    }
}

#[test]
fn ipv6_spellings_of_ipv4_are_the_ipv4_address() {
    let cases = [
        // IPv4-mapped.
        ("::ffff:127.0.0.1", Range::Loopback),
        ("::ffff:7f00:1", Range::Loopback),
        ("::ffff:169.254.169.254", Range::LinkLocal),
        ("::ffff:10.0.0.1", Range::Private),
        ("::ffff:0.0.0.0", Range::Unspecified),
        ("::ffff:8.8.8.8", Range::Public),
        // IPv4-compatible.
        ("::127.0.0.1", Range::Loopback),
        ("::192.168.1.1", Range::Private),
        ("::0.0.0.2", Range::ThisNetwork),
        ("::8.8.8.8", Range::Public),
        // NAT64 well-known prefix.
        ("64:ff9b::127.0.0.1", Range::Loopback),
        ("64:ff9b::a9fe:a9fe", Range::LinkLocal),
        ("64:ff9b::100.64.0.1", Range::SharedAddressSpace),
        ("64:ff9b::8.8.8.8", Range::Public),
        // 6to4.
        ("2002:7f00:1::", Range::Loopback),
        ("2002:a9fe:a9fe::1", Range::LinkLocal),
        ("2002:c0a8:101::", Range::Private),
        ("2002:e000:1::", Range::Multicast),
        ("2002:ffff:ffff::", Range::Broadcast),
        ("2002:808:808::1", Range::Public),
    ];
    for (text, expected) in cases {
        assert_eq!(range(text), expected, "{text}");
    }
    assert_eq!(
        embedded_ipv4("::ffff:1.2.3.4".parse().unwrap()),
        Some(Ipv4Addr::new(1, 2, 3, 4))
    );
    assert_eq!(embedded_ipv4(Ipv6Addr::LOCALHOST), None);
    assert_eq!(embedded_ipv4(Ipv6Addr::UNSPECIFIED), None);
    assert_eq!(embedded_ipv4("2001:4860::1".parse().unwrap()), None);
}

#[test]
fn numeric_host_spellings_parse_to_the_address_they_mean() {
    let loopback = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    for spelling in [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://127.0.1/",
        "http://127.0.0.1./",
        "https://0x7F.0.0.1:8443/x",
    ] {
        let url = Url::parse(spelling).unwrap();
        assert_eq!(literal_address(&url), Some(loopback), "{spelling}");
        assert_eq!(classify(loopback), Range::Loopback);
    }
    let metadata = Url::parse("http://0xa9fea9fe/latest/meta-data").unwrap();
    assert_eq!(
        literal_address(&metadata).map(classify),
        Some(Range::LinkLocal)
    );
    let mapped = Url::parse("http://[::ffff:127.0.0.1]/").unwrap();
    let ip = literal_address(&mapped).unwrap();
    assert_eq!(ip, "::ffff:7f00:1".parse::<IpAddr>().unwrap());
    assert_eq!(classify(ip), Range::Loopback);
    let zero = Url::parse("http://0/").unwrap();
    assert_eq!(
        literal_address(&zero).map(classify),
        Some(Range::Unspecified)
    );
    // Names stay names, to be resolved and then classified.
    let name = Url::parse("http://localhost/").unwrap();
    assert_eq!(literal_address(&name), None);
    // Numbers out of range are refused by the parser, not guessed at.
    assert!(Url::parse("http://4294967296/").is_err());
    assert!(Url::parse("http://0x1.0x1.0x1.0x1.0x1/").is_err());
}

#[test]
fn allow_list_parses_and_lets_networks_through() {
    let allow = AllowList::parse(" 127.0.0.2/32, 10.1.0.0/16,fd00::/8 ,192.168.5.5").unwrap();
    assert_eq!(allow.networks().len(), 4);
    assert_eq!(
        allow.to_string(),
        "127.0.0.2/32,10.1.0.0/16,fd00::/8,192.168.5.5/32"
    );
    let ok = |t: &str| verdict(t.parse().unwrap(), &allow);
    assert!(ok("127.0.0.2").is_ok());
    assert!(ok("::ffff:127.0.0.2").is_ok());
    assert!(ok("10.1.200.3").is_ok());
    assert!(ok("fd00::5").is_ok());
    assert!(ok("192.168.5.5").is_ok());
    assert!(ok("8.8.8.8").is_ok());
    let blocked = ok("127.0.0.1").unwrap_err();
    assert_eq!(blocked.range, Range::Loopback);
    assert_eq!(blocked.to_string(), "127.0.0.1 is a loopback address");
    assert!(ok("10.2.0.1").is_err());
    assert!(ok("192.168.5.6").is_err());
    assert!(ok("169.254.169.254").is_err());
    assert!(ok("::ffff:127.0.0.1").is_err());

    assert!(AllowList::parse("").unwrap().is_empty());
    assert!(AllowList::parse(" , ").unwrap().is_empty());
    for bad in [
        "10.0.0.0/33",
        "nowhere",
        "10.0.0.0/8;",
        "10.1.2.3/8",
        "fd00::1/8",
    ] {
        let err = AllowList::parse(bad).unwrap_err();
        assert_eq!(err.0, bad);
        assert!(err.to_string().contains("is not a network"));
    }
    assert!(verdict("127.0.0.1".parse().unwrap(), &AllowList::default()).is_err());
}

#[test]
fn every_range_is_described() {
    for r in [
        Range::Public,
        Range::ThisNetwork,
        Range::Unspecified,
        Range::Loopback,
        Range::Private,
        Range::SharedAddressSpace,
        Range::LinkLocal,
        Range::UniqueLocal,
        Range::SiteLocal,
        Range::Multicast,
        Range::Broadcast,
        Range::Documentation,
        Range::Benchmarking,
        Range::ProtocolAssignment,
        Range::Relay,
        Range::Reserved,
    ] {
        assert!(r.describe().starts_with("a ") || r.describe().starts_with("the "));
        assert_eq!(r.is_public(), r == Range::Public);
    }
}
