//! Go `text/template` with the Prometheus and vmalert function library: the language annotation and label
//! templates are written in.
//!
//! Pure: no tokio, no HTTP, no file IO. Callers hand in template texts (rule annotations, `-rule.templates`
//! contents) and data; query results reach templates through the [`TemplateQuerier`] trait, so the online
//! datasource and the offline engine share this code.
//!
//! Entry points:
//! - [`check_alert_template`] / [`check_alert_template_with`]: parse-check for `tocsin check`, reporting what
//!   promtool or vmalert would report;
//! - [`Template::parse_alert`] then [`Template::render`]: compile once, render many times;
//! - [`fmt::go_float_v`]: Go's `%v` of a float64, for other modules.

mod builtins;
pub mod data;
mod error;
mod exec;
pub mod fmt;
mod funcs;
mod lexer;
mod node;
mod parse;
mod strconv;
mod value;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use data::{AlertTemplateData, PreparedAlertData, QuerySample, RenderContext, TemplateQuerier};
pub use error::TemplateError;

use parse::TreeSet;

/// Which tool's rules a template follows: the variables defined for it and its function set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateDialect {
    /// Prometheus 2.42 / promtool: `$labels`, `$externalLabels`, `$externalURL`, `$value`; template name
    /// `__alert_<alertname>`.
    Prometheus,
    /// vmalert: also `$expr`, `$alertID`, `$groupID`, `$activeAt`, `$for`, `$type`, `$isPartial`, `$interval`,
    /// and the escaping and time functions; template name empty, as vmalert reports it.
    Vmalert,
}

impl TemplateDialect {
    /// The text prepended to every alert template, defining its variables (as the upstream tools do, so column
    /// numbers in execution errors match theirs).
    pub fn header(self) -> &'static str {
        match self {
            TemplateDialect::Prometheus => {
                "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
            }
            TemplateDialect::Vmalert => concat!(
                "{{ $value := .Value }}{{ $labels := .Labels }}{{ $expr := .Expr }}",
                "{{ $externalLabels := .ExternalLabels }}{{ $externalURL := .ExternalURL }}",
                "{{ $alertID := .AlertID }}{{ $groupID := .GroupID }}{{ $activeAt := .ActiveAt }}",
                "{{ $for := .For }}{{ $type := .Type }}{{ $isPartial := .IsPartial }}{{ $interval := .Interval }}"
            ),
        }
    }

    /// The template name errors carry for an alert called `alert`.
    pub fn template_name(self, alert: &str) -> String {
        match self {
            TemplateDialect::Prometheus => format!("__alert_{alert}"),
            TemplateDialect::Vmalert => String::new(),
        }
    }

    fn has_func(self, name: &str) -> bool {
        builtins::is_builtin(name) || funcs::lookup(self, name).is_some()
    }
}

/// Named templates from `define` / `block` in `-rule.templates` texts, available to every alert template.
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    trees: Arc<TreeSet>,
}

impl TemplateSet {
    /// Parses `(name, text)` pairs (the caller reads the files); later definitions of a name replace earlier ones
    /// across texts, as Go's `ParseFiles` does.
    pub fn parse(texts: &[(&str, &str)], dialect: TemplateDialect) -> Result<Self, TemplateError> {
        let mut all = TreeSet::new();
        for (name, text) in texts {
            let mut set = TreeSet::new();
            parse_text(name, text, "", dialect, &mut set)?;
            for (k, v) in set {
                if &k == name && all.contains_key(&k) && v.root.nodes.is_empty() {
                    continue;
                }
                all.insert(k, v);
            }
        }
        Ok(TemplateSet {
            trees: Arc::new(all),
        })
    }

    /// Names of the templates defined, sorted.
    pub fn names(&self) -> Vec<String> {
        self.trees.keys().cloned().collect()
    }
}

/// Parses `header + text` as template `name`, mapping failures to [`TemplateError::Parse`] with the position
/// inside `text`.
fn parse_text(
    name: &str,
    text: &str,
    header: &str,
    dialect: TemplateDialect,
    set: &mut TreeSet,
) -> Result<(), TemplateError> {
    let full;
    let src = if header.is_empty() {
        text
    } else {
        full = format!("{header}{text}");
        &full
    };
    parse::parse(name, src, &|f| dialect.has_func(f), set).map_err(|e| {
        let before = &src[..e.pos.min(src.len())];
        let line = 1 + before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let mut column = before[line_start..].chars().count() + 1;
        if line == 1 {
            column = column.saturating_sub(header.chars().count()).max(1);
        }
        TemplateError::Parse {
            name: name.to_string(),
            line,
            column,
            message: e.message,
        }
    })
}

/// Parse-checks one alert annotation or label template as promtool (`Prometheus`) or vmalert (`Vmalert`) does;
/// `alert` is the alert name (Prometheus names the template `__alert_<alert>`).
pub fn check_alert_template(
    alert: &str,
    text: &str,
    dialect: TemplateDialect,
) -> Result<(), TemplateError> {
    Template::parse_alert(alert, text, dialect, &TemplateSet::default()).map(|_| ())
}

/// As [`check_alert_template`], with `define`d templates from `-rule.templates` available by name.
pub fn check_alert_template_with(
    alert: &str,
    text: &str,
    dialect: TemplateDialect,
    defined: &TemplateSet,
) -> Result<(), TemplateError> {
    Template::parse_alert(alert, text, dialect, defined).map(|_| ())
}

/// A compiled alert template: parse once, render many times.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    dialect: TemplateDialect,
    trees: Arc<TreeSet>,
}

impl Template {
    /// Compiles an alert annotation or label template for `dialect`, with the variables it defines.
    pub fn parse_alert(
        alert: &str,
        text: &str,
        dialect: TemplateDialect,
        defined: &TemplateSet,
    ) -> Result<Self, TemplateError> {
        let name = dialect.template_name(alert);
        let mut set: TreeSet = (*defined.trees).clone();
        set.remove(&name);
        parse_text(&name, text, dialect.header(), dialect, &mut set)?;
        Ok(Template {
            name,
            dialect,
            trees: Arc::new(set),
        })
    }

    /// Compiles a plain template (no header, no alert variables), e.g. for `-external.alert.source`.
    pub fn parse_plain(
        name: &str,
        text: &str,
        dialect: TemplateDialect,
    ) -> Result<Self, TemplateError> {
        let mut set = TreeSet::new();
        parse_text(name, text, "", dialect, &mut set)?;
        Ok(Template {
            name: name.to_string(),
            dialect,
            trees: Arc::new(set),
        })
    }

    /// The template's name as errors print it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders the template with alert data and the function context.
    pub fn render(
        &self,
        data: &AlertTemplateData,
        ctx: &RenderContext<'_>,
    ) -> Result<String, TemplateError> {
        let root = data.to_value(self.dialect);
        exec::execute(&self.name, &self.trees, self.dialect, root, ctx)
    }

    /// Renders with data converted once by [`AlertTemplateData::prepare`], which saves the conversion when one
    /// alert's annotations and labels are rendered one after another.
    pub fn render_prepared(
        &self,
        data: &PreparedAlertData<'_>,
        ctx: &RenderContext<'_>,
    ) -> Result<String, TemplateError> {
        if data.dialect != self.dialect {
            return self.render(data.data, ctx);
        }
        exec::execute(
            &self.name,
            &self.trees,
            self.dialect,
            data.root.clone(),
            ctx,
        )
    }

    /// Renders as the annotation text Prometheus would show: the output, or its
    /// `<error expanding template: ...>` marker on failure. vmalert instead fails the rule's evaluation and sends
    /// nothing, so vmalert-dialect callers should use [`Template::render`] and handle the error; here the
    /// vmalert dialect yields the bare error text.
    pub fn render_annotation(&self, data: &AlertTemplateData, ctx: &RenderContext<'_>) -> String {
        match self.render(data, ctx) {
            Ok(s) => s,
            Err(e) => match self.dialect {
                TemplateDialect::Prometheus => {
                    format!(
                        "<error expanding template: error executing template {}: {e}>",
                        self.name
                    )
                }
                TemplateDialect::Vmalert => e.to_string(),
            },
        }
    }
}

/// Labels as a sorted map, the shape templates see.
pub type Labels = BTreeMap<String, String>;

#[cfg(test)]
mod tests;
