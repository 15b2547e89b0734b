//! The Prometheus and vmalert template function library, one family per file under `funcs/`.
//!
//! `signature` gives each function's Go signature (for Go's argument checks) per dialect; `call` runs it. All
//! functions are pure except `query`, which goes through the caller's `TemplateQuerier`.

pub mod humanize;
pub mod query;
pub mod strings;
pub mod time;
pub mod urls;

use super::TemplateDialect;
use super::data::RenderContext;
use super::value::Value;

/// The Go type of a parameter, which decides how arguments are checked and converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface{}`
    Any,
    /// `reflect.Value` (builtins): anything but no value
    Value,
    Str,
    /// `*template.sample`
    Sample,
    /// `template.queryResult`
    Samples,
}

impl Param {
    pub fn go_type(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Value => "reflect.Value",
            Param::Str => "string",
            Param::Sample => "*template.sample",
            Param::Samples => "template.queryResult",
        }
    }
}

/// A Go function signature: fixed parameters, then an optional variadic one.
#[derive(Debug, Clone, Copy)]
pub struct Sig {
    pub fixed: &'static [Param],
    pub variadic: Option<Param>,
}

/// What a library function may consult.
pub struct Call<'a> {
    pub ctx: &'a RenderContext<'a>,
    pub dialect: TemplateDialect,
}

const fn sig(fixed: &'static [Param]) -> Sig {
    Sig {
        fixed,
        variadic: None,
    }
}

/// The signature of library function `name` in `dialect`, or `None` if the dialect does not define it.
pub fn signature(dialect: TemplateDialect, name: &str) -> Option<Sig> {
    use Param::{Any, Sample, Samples, Str};
    let common = match name {
        "query" => sig(&[Str]),
        "first" => sig(&[Samples]),
        "label" => sig(&[Str, Sample]),
        "value" | "strvalue" => sig(&[Sample]),
        "args" => Sig {
            fixed: &[],
            variadic: Some(Any),
        },
        "reReplaceAll" => sig(&[Str, Str, Str]),
        "safeHtml" | "title" | "toUpper" | "toLower" | "parseDuration" | "stripPort"
        | "stripDomain" => sig(&[Str]),
        "match" => sig(&[Str, Str]),
        "sortByLabel" => sig(&[Str, Samples]),
        "humanize" | "humanize1024" | "humanizeDuration" | "humanizePercentage"
        | "humanizeTimestamp" | "toTime" => sig(&[Any]),
        "pathPrefix" | "externalURL" => sig(&[]),
        _ => match (dialect, name) {
            (TemplateDialect::Prometheus, "graphLink" | "tableLink") => sig(&[Str]),
            (
                TemplateDialect::Vmalert,
                "jsonEscape" | "quotesEscape" | "htmlEscape" | "pathEscape" | "queryEscape"
                | "crlfEscape" | "parseDurationTime",
            ) => sig(&[Str]),
            (TemplateDialect::Vmalert, "now") => sig(&[]),
            (TemplateDialect::Vmalert, "formatTime") => sig(&[Any, Str]),
            _ => return None,
        },
    };
    Some(common)
}

/// Whether `dialect` defines the library function `name`.
pub fn lookup(dialect: TemplateDialect, name: &str) -> Option<Sig> {
    signature(dialect, name)
}

/// Runs library function `name` with checked arguments.
pub fn call(c: &Call<'_>, name: &str, args: Vec<Value>) -> Result<Value, String> {
    let s = |i: usize| {
        args.get(i)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Ok(match name {
        "humanize" => Value::str(&humanize::humanize(&args[0])?),
        "humanize1024" => Value::str(&humanize::humanize1024(&args[0])?),
        "humanizeDuration" => Value::str(&humanize::humanize_duration(&args[0])?),
        "humanizePercentage" => Value::str(&humanize::humanize_percentage(&args[0])?),
        "humanizeTimestamp" => Value::str(&humanize::humanize_timestamp(&args[0])?),
        "toTime" => time::to_time(&args[0])?,
        "parseDuration" => Value::Float(time::parse_duration(&s(0))?),
        "parseDurationTime" => Value::Duration(time::parse_duration_nanos(&s(0))?),
        "now" => Value::Float(time::unix_seconds(c.ctx.now)),
        "formatTime" => time::format_time(&args[0], &s(1))?,
        "title" => Value::str(&strings::title(&s(0))),
        "toUpper" => Value::str(&strings::to_upper(&s(0))),
        "toLower" => Value::str(&strings::to_lower(&s(0))),
        "match" => Value::Bool(strings::match_re(&s(0), &s(1))?),
        "reReplaceAll" => Value::str(&strings::re_replace_all(&s(0), &s(1), &s(2))?),
        "safeHtml" => Value::Html(std::rc::Rc::from(s(0).as_str())),
        "args" => strings::args(&args),
        "stripPort" => Value::str(&urls::strip_port(&s(0))),
        "stripDomain" => Value::str(&urls::strip_domain(&s(0))),
        "graphLink" => Value::str(&urls::graph_link(&s(0), 0)),
        "tableLink" => Value::str(&urls::graph_link(&s(0), 1)),
        "externalURL" => Value::str(c.ctx.external_url),
        "pathPrefix" => Value::str(&urls::path_of(c.ctx.external_url)),
        "jsonEscape" => Value::str(&strings::json_escape(&s(0))),
        "quotesEscape" => Value::str(&strings::quotes_escape(&s(0))),
        "crlfEscape" => Value::str(&s(0).replace('\n', "\\n").replace('\r', "\\r")),
        "htmlEscape" => Value::str(&strings::html_escape(&s(0))),
        "pathEscape" => Value::str(&urls::path_escape(&s(0))),
        "queryEscape" => Value::str(&urls::query_escape(&s(0))),
        "query" => query::query(c, &s(0))?,
        "first" => query::first(&args[0])?,
        "label" => query::label(&s(0), &args[1])?,
        "value" => query::value(&args[0])?,
        "strvalue" => query::strvalue(&args[0], c.dialect)?,
        "sortByLabel" => query::sort_by_label(&s(0), &args[1]),
        _ => return Err(format!("function {name} is not implemented")),
    })
}
