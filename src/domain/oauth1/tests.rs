use super::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn percent_encoding_follows_section_3_6() {
    assert_eq!(
        percent_encode("Ladies + Gentlemen"),
        "Ladies%20%2B%20Gentlemen"
    );
    assert_eq!(
        percent_encode("An encoded string!"),
        "An%20encoded%20string%21"
    );
    assert_eq!(
        percent_encode("Dogs, Cats & Mice"),
        "Dogs%2C%20Cats%20%26%20Mice"
    );
    assert_eq!(percent_encode("☃"), "%E2%98%83");
    assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
    assert_eq!(percent_encode("%3D"), "%253D");
}

/// RFC 5849 section 3.4.1.1, with the parameters of sections 3.4.1.3.1
/// and 3.4.1.3.2.
#[test]
fn rfc_5849_base_string_example() {
    let url = Url::parse("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b").unwrap();
    let form = pairs(&[("c2", ""), ("a3", "2 q")]);
    let oauth = pairs(&[
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
    ]);
    assert_eq!(
        base_string("POST", &url, &form, &oauth),
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
         %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
         key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
         ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
         9d7dh3k39sjv7"
    );
}

/// RFC 5849 section 3.4.1.2: the base string URI.
#[test]
fn rfc_5849_base_string_uri_examples() {
    let a = Url::parse("HTTP://EXAMPLE.COM:80/r%20v/X?id=123").unwrap();
    assert_eq!(base_uri(&a), "http://example.com/r%20v/X");
    let b = Url::parse("https://www.example.net:8080/?q=1").unwrap();
    assert_eq!(base_uri(&b), "https://www.example.net:8080/");
}

/// RFC 5849 section 1.2: the signed request for the protected resource
/// (HMAC-SHA1, section 3.4.2).
#[test]
fn rfc_5849_photos_example_signature() {
    let url =
        Url::parse("http://photos.example.net/photos?file=vacation.jpg&size=original").unwrap();
    let oauth = pairs(&[
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]);
    let base = base_string("GET", &url, &[], &oauth);
    assert_eq!(
        base,
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26\
         oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth\
         _signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_\
         token%3Dnnch734d00sl2jdk%26size%3Doriginal"
    );
    assert_eq!(
        hmac_sha1(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
        "MdpQcU8iPSUjWoN/UDMsK2sui9I="
    );
}

/// X's documentation, "Creating a signature".
#[test]
fn x_documentation_example_signature() {
    let url = Url::parse("https://api.twitter.com/1.1/statuses/update.json?include_entities=true")
        .unwrap();
    let form = pairs(&[(
        "status",
        "Hello Ladies + Gentlemen, a signed OAuth request!",
    )]);
    let creds = Credentials {
        consumer_key: "xvz1evFS4wEEPTGEFPHBog",
        consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    };
    let nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
    let oauth = oauth_params(&creds, nonce, 1318622958);
    let base = base_string("post", &url, &form, &oauth);
    assert_eq!(
        base,
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities\
         %3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0Z\
         FabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_times\
         tamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJA\
         Eb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2\
         520a%2520signed%2520OAuth%2520request%2521"
    );
    assert_eq!(
        hmac_sha1(&base, creds.consumer_secret, creds.token_secret),
        "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
    );
    let header = sign("POST", &url, &form, &creds, nonce, 1318622958);
    assert!(header.starts_with("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "));
    assert!(header.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""));
    let parsed = parse_authorization(&header).unwrap();
    assert!(parsed.contains(&(
        "oauth_signature".to_string(),
        "hCtSmYh+iHYCEqBWrE7C7hYmtUk=".to_string()
    )));
    assert_eq!(parsed.len(), 7);
}

#[test]
fn nonces_differ_and_bad_headers_do_not_parse() {
    assert_ne!(nonce(), nonce());
    assert_eq!(nonce().len(), 64);
    assert!(parse_authorization("Bearer abc").is_none());
    assert!(parse_authorization("OAuth a=b").is_none());
    assert!(parse_authorization("OAuth a=\"%G1\"").is_none());
    assert_eq!(
        parse_authorization("OAuth a=\"x%20y\"").unwrap(),
        pairs(&[("a", "x y")])
    );
}
