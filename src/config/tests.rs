use super::*;
use secrecy::ExposeSecret;

#[test]
fn flags_win_over_file_over_defaults() {
    let file: FileConfig = toml::from_str(
        "bind = \"127.0.0.1:9000\"\ndata_dir = \"/srv/c\"\nlog_format = \"json\"\nmax_body_bytes = 10",
    )
    .unwrap();
    let args = ConfigArgs {
        bind: Some("127.0.0.1:9100".into()),
        log_level: Some("debug".into()),
        ..Default::default()
    };
    let c = Config::merge(args, file).unwrap();
    assert_eq!(c.bind.port(), 9100);
    assert_eq!(c.data_dir, PathBuf::from("/srv/c"));
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(c.log_filter, "debug");
    assert_eq!(c.max_body_bytes, 10);
    assert!(!c.cookie_secure);

    let d = Config::merge(ConfigArgs::default(), FileConfig::default()).unwrap();
    assert_eq!(d.bind.to_string(), DEFAULT_BIND);
    assert_eq!(d.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    assert!(d.database_url.is_none());
}

#[test]
fn secrets_do_not_debug_print_and_bad_values_are_refused() {
    let args = ConfigArgs {
        encryption_keys: Some("k:c2VjcmV0".into()),
        bootstrap_password: Some("hunter22hunter".into()),
        ..Default::default()
    };
    let c = Config::merge(args, FileConfig::default()).unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("c2VjcmV0") && !dbg.contains("hunter22"));
    assert_eq!(c.encryption_keys.unwrap().expose_secret(), "k:c2VjcmV0");
    for bad in [
        ConfigArgs {
            bind: Some("nowhere".into()),
            ..Default::default()
        },
        ConfigArgs {
            log_format: Some("xml".into()),
            ..Default::default()
        },
        ConfigArgs {
            max_body_bytes: Some(0),
            ..Default::default()
        },
    ] {
        assert!(Config::merge(bad, FileConfig::default()).is_err());
    }
    assert!(toml::from_str::<FileConfig>("unknown = 1").is_err());
}

#[test]
fn check_settings_parse_with_defaults_and_clear_errors() {
    let d = Config::merge(ConfigArgs::default(), FileConfig::default()).unwrap();
    assert_eq!(d.checks, CheckSettings::default());
    assert!(d.checks.allow_http);
    assert_eq!(d.checks.timeout, Duration::from_secs(15));
    assert_eq!(d.checks.interval, Duration::from_secs(6 * 3600));
    assert_eq!(d.checks.rate_limit, 30);
    assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
    assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
    assert_eq!(parse_duration("h"), None);
    let off = Config::merge(
        ConfigArgs {
            check_interval: Some("off".into()),
            ..Default::default()
        },
        FileConfig::default(),
    )
    .unwrap();
    assert!(!off.checks.scheduled && d.checks.scheduled);
    assert_eq!(parse_duration("5w"), None);

    let file: FileConfig = toml::from_str(
        "check_allow_networks = \"10.0.0.0/8\"\ncheck_timeout = 30\nprovider_urls = \"medium=http://127.0.0.2:9000\"",
    )
    .unwrap();
    let args = ConfigArgs {
        check_allow_networks: Some("127.0.0.2/32".into()),
        check_allow_http: Some(false),
        ..Default::default()
    };
    let c = Config::merge(args, file).unwrap();
    assert_eq!(c.checks.allow_networks.to_string(), "127.0.0.2/32");
    assert!(!c.checks.allow_http);
    assert_eq!(c.checks.timeout, Duration::from_secs(30));
    assert_eq!(
        c.checks.provider_urls.to_string(),
        "medium=http://127.0.0.2:9000"
    );

    for (args, needle) in [
        (
            ConfigArgs {
                check_allow_networks: Some("10.0.0.0/33".into()),
                ..Default::default()
            },
            "invalid setting CHECK_ALLOW_NETWORKS: '10.0.0.0/33' is not a network",
        ),
        (
            ConfigArgs {
                provider_urls: Some("medium".into()),
                ..Default::default()
            },
            "invalid setting PROVIDER_URLS: 'medium' is not KEY=URL",
        ),
        (
            ConfigArgs {
                check_timeout: Some(0),
                ..Default::default()
            },
            "invalid setting CHECK_TIMEOUT: must be at least 1 second",
        ),
        (
            ConfigArgs {
                check_connect_timeout: Some(20),
                ..Default::default()
            },
            "longer than CHECK_TIMEOUT",
        ),
        (
            ConfigArgs {
                check_interval: Some("soon".into()),
                ..Default::default()
            },
            "invalid setting CHECK_INTERVAL: 'soon' is not a duration",
        ),
        (
            ConfigArgs {
                check_concurrency: Some(0),
                ..Default::default()
            },
            "invalid setting CHECK_CONCURRENCY",
        ),
    ] {
        let err = Config::merge(args, FileConfig::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{needle} not in {err}");
    }
}

#[test]
fn the_public_url_is_an_origin() {
    let d = Config::merge(ConfigArgs::default(), FileConfig::default()).unwrap();
    assert!(d.public_url.is_none());
    let file: FileConfig = toml::from_str("public_url = \"https://file.example.com\"").unwrap();
    let c = Config::merge(ConfigArgs::default(), file).unwrap();
    assert_eq!(c.public_url.unwrap().as_str(), "https://file.example.com/");
    let args = ConfigArgs {
        public_url: Some("http://127.0.0.1:8080/".into()),
        ..Default::default()
    };
    let c = Config::merge(args, FileConfig::default()).unwrap();
    assert_eq!(c.public_url.unwrap().as_str(), "http://127.0.0.1:8080/");
    for bad in [
        "connectors.example.com",
        "ftp://connectors.example.com",
        "https://user:pw@connectors.example.com",
        "https://connectors.example.com/prefix",
        "https://connectors.example.com/?a=1",
    ] {
        let args = ConfigArgs {
            public_url: Some(bad.into()),
            ..Default::default()
        };
        let err = Config::merge(args, FileConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid setting PUBLIC_URL: "),
            "{bad}: {err}"
        );
    }
}
