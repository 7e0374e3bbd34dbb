//! Descriptions written with Markdown or simple HTML, rendered for a page:
//! CommonMark to HTML, then a sanitiser that keeps only links, emphasis,
//! code, lists and paragraphs. Links open in a new tab without a referrer
//! or an opener; only `http`, `https` and `mailto` links survive, and no
//! attribute but `href` (no `style`, no event handler), so the strict CSP
//! needs no exception.

use pulldown_cmark::{Options, Parser, html};
use std::collections::{HashMap, HashSet};

const TAGS: &[&str] = &[
    "a", "p", "br", "em", "strong", "b", "i", "code", "pre", "ul", "ol", "li",
];

/// A description as safe HTML.
pub fn description_html(text: &str) -> String {
    let mut rendered = String::with_capacity(text.len() + 16);
    html::push_html(&mut rendered, Parser::new_ext(text, Options::empty()));
    let clean = ammonia::Builder::empty()
        .tags(TAGS.iter().copied().collect())
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .clean(&rendered)
        .to_string();
    clean.trim().to_string()
}

/// Plain text as HTML (the help of the fields every form has).
pub fn text_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_emphasis_code_and_lists_survive() {
        let out = description_html(
            "See [the docs](https://example.com/a?b=1) for *this* and `code`:\n\n- one\n- **two**",
        );
        assert!(
            out.contains(
                r#"<a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">the docs</a>"#
            ),
            "{out}"
        );
        for tag in [
            "<em>this</em>",
            "<code>code</code>",
            "<ul>",
            "<li>one</li>",
            "<strong>two</strong>",
        ] {
            assert!(out.contains(tag), "{tag} in {out}");
        }
    }

    #[test]
    fn simple_html_links_open_in_a_new_tab() {
        let out = description_html(
            r#"Create <a href="https://sentry.io/settings/" target="_self" class="x" onclick="steal()">tokens</a>."#,
        );
        assert!(
            out.contains(
                r#"<a href="https://sentry.io/settings/" target="_blank" rel="noopener noreferrer">tokens</a>"#
            ),
            "{out}"
        );
        assert!(!out.contains("onclick") && !out.contains("class"), "{out}");
    }

    #[test]
    fn nothing_else_survives() {
        let hostile = concat!(
            "<script>alert(1)</script><style>p{}</style>",
            "<img src=x onerror=alert(1)><iframe src=\"https://x\"></iframe>",
            "<p style=\"color:red\" onmouseover=\"x()\">text</p>\n\n",
            "[js](javascript:alert(1)) [data](data:text/html,hi) [rel](/relative)\n\n",
            "<a href=\"vbscript:x\">v</a>"
        );
        let out = description_html(hostile);
        for bad in [
            "<script",
            "alert(1)</",
            "<style",
            "<img",
            "onerror",
            "<iframe",
            "style=",
            "onmouseover",
            "javascript:",
            "data:",
            "vbscript:",
            "href=\"/relative",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(out.contains("text"), "{out}");
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            text_html(r#"<b>"a" & 'b'</b>"#),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
    }
}
