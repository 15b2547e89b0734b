//! The Prometheus and vmalert template function library, one family per file under `funcs/`.
//!
//! `lookup` says which functions a dialect defines; each function names the upstream doc it matches. Functions
//! are pure except `query`, which goes through the caller's `TemplateQuerier`.

use super::TemplateDialect;

/// Functions Prometheus 2.42 defines for alert templates.
const PROMETHEUS: &[&str] = &[
    "args",
    "externalURL",
    "first",
    "graphLink",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "label",
    "match",
    "parseDuration",
    "pathPrefix",
    "query",
    "reReplaceAll",
    "safeHtml",
    "sortByLabel",
    "stripDomain",
    "stripPort",
    "strvalue",
    "tableLink",
    "title",
    "toLower",
    "toTime",
    "toUpper",
    "value",
];

/// Functions vmalert defines for alert templates.
const VMALERT: &[&str] = &[
    "args",
    "crlfEscape",
    "externalURL",
    "first",
    "formatTime",
    "htmlEscape",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "jsonEscape",
    "label",
    "match",
    "now",
    "parseDuration",
    "parseDurationTime",
    "pathEscape",
    "pathPrefix",
    "query",
    "queryEscape",
    "quotesEscape",
    "reReplaceAll",
    "safeHtml",
    "sortByLabel",
    "stripDomain",
    "stripPort",
    "strvalue",
    "title",
    "toLower",
    "toTime",
    "toUpper",
    "value",
];

/// Whether `dialect` defines the library function `name`.
pub fn lookup(dialect: TemplateDialect, name: &str) -> Option<&'static str> {
    let list = match dialect {
        TemplateDialect::Prometheus => PROMETHEUS,
        TemplateDialect::Vmalert => VMALERT,
    };
    list.iter().copied().find(|n| *n == name)
}
