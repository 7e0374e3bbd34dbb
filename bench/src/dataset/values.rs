//! The values of the generated rows: word lists and, per catalog type, a
//! config and secrets that the type's schemas accept.

use super::Rng;
use serde_json::{Map, Value, json};

pub(super) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const HEX: &[u8] = b"0123456789abcdef";
pub(super) const DIGITS: &[u8] = b"0123456789";
/// What OAuth 2.0 bearer tokens are written with (RFC 6750's b64token).
pub(super) const TOKEN68: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

pub(super) const COMPANIES: &[&str] = &[
    "northwind",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "wonka",
    "tyrell",
    "soylent",
    "gringotts",
    "oscorp",
    "cyberdyne",
    "massive",
    "pied-piper",
    "bluth",
    "dunder",
];
pub(super) const TOPICS: &[&str] = &[
    "travel",
    "recipes",
    "engineering",
    "news",
    "design",
    "finance",
    "gardening",
    "music",
    "careers",
    "product",
    "security",
    "sustainability",
];
pub(super) const PEOPLE: &[&str] = &[
    "Ada Moreau",
    "Ben Okafor",
    "Chen Wei",
    "Dara Nyambura",
    "Elif Demir",
    "Farid Haddad",
    "Greta Lindqvist",
    "Hugo Martins",
    "Ines Duarte",
    "Jonas Becker",
];
pub(super) const WP_USERS: &[&str] = &[
    "editor",
    "admin",
    "marketing",
    "content-team",
    "jane.doe",
    "publisher@",
    "web_ops",
    "Comms Desk",
];
pub(super) const WP_CATEGORIES: &[&str] = &[
    "News",
    "Announcements",
    "engineering-blog",
    "Press",
    "Updates",
];
pub(super) const WP_TAGS: &[&str] = &[
    "release",
    "how-to",
    "case study",
    "events",
    "hiring",
    "product update",
    "behind the scenes",
    "tutorial",
];
pub(super) const HASHTAGS: &[&str] = &[
    "DevOps",
    "OpenSource",
    "BuildInPublic",
    "ai",
    "launch",
    "TechNews",
    "hiring",
    "rustlang",
];
pub(super) const MEDIUM_TAGS: &[&str] = &[
    "Programming",
    "Startup",
    "Productivity",
    "Design",
    "Data Science",
    "Leadership",
];
pub(super) const CONNECTOR_TAGS: &[&str] = &[
    "marketing",
    "social",
    "blog",
    "eu",
    "us",
    "apac",
    "newsletter",
    "launch",
    "team-a",
    "team-b",
    "archived",
];
pub(super) const ERRORS: &[&str] = &[
    "401 Unauthorized: the application password was revoked",
    "403 Forbidden: the token lacks the w_member_social scope",
    "429 Too Many Requests: rate limit reached, retry after 900 s",
    "the site's REST API is not reachable under /wp-json/",
];

pub(super) type Generated = (Value, Vec<(&'static str, String)>, String);

fn insert(map: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    map.insert(key.to_string(), value.into());
}

pub(super) fn wordpress(rng: &mut Rng, t: usize, j: usize) -> Generated {
    let company = rng.pick(COMPANIES);
    let topic = rng.pick(TOPICS);
    let site = match rng.below(3) {
        0 => format!("https://{topic}.{company}{t}.example.com"),
        1 => format!("https://www.{company}{t}.example.org/{topic}"),
        _ => format!("https://{company}-{topic}-{j}.example.net"),
    };
    let mut c = Map::new();
    insert(&mut c, "site_url", site);
    let user = rng.pick(WP_USERS);
    let username = if user.ends_with('@') {
        format!("{user}{company}.example.com")
    } else {
        user.to_string()
    };
    insert(&mut c, "username", username);
    if rng.chance(70) {
        insert(
            &mut c,
            "default_status",
            rng.pick(&["publish", "draft", "pending", "private"]),
        );
    }
    if rng.chance(40) {
        insert(
            &mut c,
            "format",
            rng.pick(&["standard", "aside", "gallery", "link", "image", "video"]),
        );
    }
    if rng.chance(50) {
        insert(&mut c, "default_category", rng.pick(WP_CATEGORIES));
    }
    if rng.chance(60) {
        insert(&mut c, "default_tags", rng.some_of(WP_TAGS, 1, 4));
    }
    if rng.chance(30) {
        insert(&mut c, "comment_status", rng.pick(&["open", "closed"]));
    }
    if rng.chance(30) {
        insert(&mut c, "ping_status", rng.pick(&["open", "closed"]));
    }
    if rng.chance(10) {
        insert(&mut c, "sticky", rng.chance(50));
    }
    let groups: Vec<String> = (0..6).map(|_| rng.text(ALNUM, 4)).collect();
    let password = if rng.chance(80) {
        groups.join(" ")
    } else {
        groups.concat()
    };
    let label = format!("{} {topic} blog", title_case(company));
    (
        Value::Object(c),
        vec![("application_password", password)],
        label,
    )
}

pub(super) fn linkedin(rng: &mut Rng) -> Generated {
    let mut c = Map::new();
    let person = rng.chance(70);
    let author = if person {
        json!({"type": "person", "urn": format!("urn:li:person:{}", rng.text(ALNUM, 10))})
    } else {
        json!({"type": "organization", "urn": format!("urn:li:organization:{}", rng.between(1_000_000, 99_999_999))})
    };
    insert(&mut c, "author", author);
    if rng.chance(60) {
        let choices: &[&str] = if person {
            &["PUBLIC", "CONNECTIONS", "LOGGED_IN"]
        } else {
            &["PUBLIC", "LOGGED_IN"]
        };
        insert(&mut c, "visibility", rng.pick(choices));
    }
    if rng.chance(30) {
        insert(&mut c, "disable_reshare", rng.chance(50));
    }
    if rng.chance(70) {
        insert(
            &mut c,
            "api_version",
            format!("20{}{:02}", rng.between(24, 26), rng.between(1, 12)),
        );
    }
    // LinkedIn's tokens are a few hundred characters long.
    let len = rng.between(300, 380) as usize;
    let mut secrets = vec![("access_token", format!("AQ{}", rng.text(TOKEN68, len)))];
    if rng.chance(40) {
        let len = rng.between(300, 380) as usize;
        secrets.push(("refresh_token", format!("AQ{}", rng.text(TOKEN68, len))));
        secrets.push(("client_id", rng.text(LOWER_ALNUM, 14)));
        secrets.push((
            "client_secret",
            format!("WPL_AP1.{}.{}==", rng.text(ALNUM, 16), rng.text(ALNUM, 8)),
        ));
    }
    let label = if person {
        "LinkedIn profile".to_string()
    } else {
        format!("LinkedIn {} page", title_case(rng.pick(COMPANIES)))
    };
    (Value::Object(c), secrets, label)
}

pub(super) fn twitter(rng: &mut Rng, t: usize, j: usize) -> Generated {
    let mut c = Map::new();
    let mut handle = format!(
        "{}_{}{}",
        rng.pick(COMPANIES).replace('-', ""),
        rng.pick(TOPICS),
        (t * 7 + j) % 1000
    );
    handle.truncate(15);
    insert(&mut c, "username", handle.clone());
    if rng.chance(50) {
        insert(
            &mut c,
            "reply_settings",
            rng.pick(&["everyone", "mentionedUsers", "following"]),
        );
    }
    if rng.chance(40) {
        insert(&mut c, "append_hashtags", rng.some_of(HASHTAGS, 1, 3));
    }
    if rng.chance(50) {
        insert(&mut c, "thread_long_posts", rng.chance(70));
    }
    if rng.chance(40) {
        insert(&mut c, "max_thread_length", rng.between(2, 25));
    }
    if rng.chance(30) {
        insert(&mut c, "number_thread_posts", rng.chance(50));
    }
    let user_id = format!("{}{}", rng.between(1, 9), rng.text(DIGITS, 18));
    let mut secrets = vec![
        ("api_key", rng.text(ALNUM, 25)),
        ("api_secret", rng.text(ALNUM, 50)),
        ("access_token", format!("{user_id}-{}", rng.text(ALNUM, 31))),
        ("access_token_secret", rng.text(ALNUM, 45)),
    ];
    if rng.chance(30) {
        secrets.push((
            "bearer_token",
            format!(
                "AAAAAAAAAAAAAAAAAAAAA{}%2B{}%3D{}",
                rng.text(ALNUM, 20),
                rng.text(ALNUM, 10),
                rng.text(ALNUM, 50)
            ),
        ));
    }
    (Value::Object(c), secrets, format!("X @{handle}"))
}

pub(super) fn medium(rng: &mut Rng) -> Generated {
    let mut c = Map::new();
    let publication = rng.chance(30);
    if publication {
        insert(&mut c, "publication_id", rng.text(HEX, 12));
    }
    if rng.chance(50) {
        insert(&mut c, "author_id", rng.text(HEX, 65));
    }
    if rng.chance(70) {
        insert(
            &mut c,
            "publish_status",
            rng.pick(&["public", "draft", "unlisted"]),
        );
    }
    if rng.chance(60) {
        insert(&mut c, "content_format", rng.pick(&["html", "markdown"]));
    }
    if rng.chance(30) {
        insert(
            &mut c,
            "license",
            rng.pick(&[
                "all-rights-reserved",
                "cc-40-by",
                "cc-40-by-sa",
                "public-domain",
            ]),
        );
    }
    if rng.chance(30) {
        insert(&mut c, "notify_followers", rng.chance(50));
    }
    if rng.chance(50) {
        insert(&mut c, "default_tags", rng.some_of(MEDIUM_TAGS, 1, 3));
    }
    let secrets = vec![("integration_token", rng.text(HEX, 65))];
    let label = if publication {
        format!("Medium {} publication", rng.pick(TOPICS))
    } else {
        "Medium profile".to_string()
    };
    (Value::Object(c), secrets, label)
}

fn title_case(s: &str) -> String {
    s.split('-')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
