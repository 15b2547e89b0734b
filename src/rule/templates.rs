//! The [`Templater`] that renders rule labels and annotations with tocsin's Go template engine (`crate::template`).
//!
//! Place in the pipeline: the state machine (`rule::alerting`) asks a [`Templater`] for every label and annotation
//! text; this adapter compiles each distinct text once (per alert name, since Prometheus names the template
//! `__alert_<name>`), caches it, and renders it with the alert's data, the external labels and URL, and a
//! [`TemplateQuerier`] for the `query` function (the embedded engine in `tocsin test`, the datasource online).
//!
//! Must not: evaluate rules, hold alert state, or do IO itself; queries go through the querier it is handed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::alerting::{TemplateInput, Templater};
use super::labels::Labels;
use crate::promql::engine::{Engine, SeriesSource, Value};
use crate::template::{
    AlertTemplateData, QuerySample, RenderContext, Template, TemplateDialect, TemplateQuerier,
    TemplateSet,
};

/// A compiled template, or the text a failed compile renders as.
type Compiled = Result<Arc<Template>, String>;

/// Renders label and annotation templates for every rule of a run; compiled templates are cached by
/// `(alert name, text)`.
pub struct EngineTemplater {
    dialect: TemplateDialect,
    external_labels: Labels,
    external_url: String,
    defined: TemplateSet,
    /// Prometheus expands a failing template to its error text instead of failing the rule (promtool shows
    /// `<error expanding template: …>` as the annotation). When set, failures are returned as `Ok(text)`.
    errors_as_text: bool,
    cache: Mutex<HashMap<(String, String), Compiled>>,
}

impl std::fmt::Debug for EngineTemplater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineTemplater")
            .field("dialect", &self.dialect)
            .field("external_labels", &self.external_labels)
            .field("external_url", &self.external_url)
            .finish_non_exhaustive()
    }
}

impl EngineTemplater {
    /// A templater for `dialect` with the given external labels and URL and no `define`d templates.
    pub fn new(dialect: TemplateDialect, external_labels: Labels, external_url: String) -> Self {
        EngineTemplater {
            dialect,
            external_labels,
            external_url,
            defined: TemplateSet::default(),
            errors_as_text: false,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Makes named templates (`-rule.templates`) available to every text.
    pub fn with_defined(mut self, defined: TemplateSet) -> Self {
        self.defined = defined;
        self
    }

    /// Returns render failures as the text Prometheus puts in the label or annotation (`Ok`), as promtool shows
    /// them, instead of `Err`.
    pub fn errors_as_text(mut self, on: bool) -> Self {
        self.errors_as_text = on;
        self
    }

    /// A templater for the rule `alert`, whose `query` function runs through `querier`.
    pub fn bind<'a>(
        &'a self,
        alert: &'a str,
        querier: Option<&'a dyn TemplateQuerier>,
    ) -> BoundTemplater<'a> {
        BoundTemplater {
            inner: self,
            alert,
            querier,
        }
    }

    fn compiled(&self, alert: &str, text: &str) -> Compiled {
        let key = (alert.to_string(), text.to_string());
        // A poisoned lock only means another render panicked; the cache itself is still consistent.
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                Template::parse_alert(alert, text, self.dialect, &self.defined)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// Renders `text` for the rule `alert`, with `query` answered by `querier` when there is one.
    pub fn render_with(
        &self,
        alert: &str,
        querier: Option<&dyn TemplateQuerier>,
        text: &str,
        input: &TemplateInput<'_>,
    ) -> Result<String, String> {
        // A text without actions renders as itself; skip the engine.
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        let template = match self.compiled(alert, text) {
            Ok(t) => t,
            Err(e) => {
                let name = self.dialect.template_name(alert);
                let shown =
                    format!("<error expanding template: error parsing template {name}: {e}>");
                return self.failure(shown, e);
            }
        };
        let data = AlertTemplateData {
            labels: input.labels.clone(),
            value: input.value,
            external_labels: self.external_labels.clone(),
            external_url: self.external_url.clone(),
            expr: input.expr.to_string(),
            alert_id: input.alert_id,
            group_id: input.group_id,
            active_at: ms_to_time(input.active_at_ms),
            for_: Duration::from_millis(u64::try_from(input.for_ms).unwrap_or(0)),
            type_: "prometheus".to_string(),
            is_partial: input.is_partial,
            interval: Duration::ZERO,
        };
        let eval_time = ms_to_time(input.eval_ts_ms);
        let ctx = RenderContext {
            external_url: &self.external_url,
            querier,
            eval_time,
            now: eval_time,
        };
        match template.render(&data, &ctx) {
            Ok(s) => Ok(s),
            Err(e) => {
                let shown = template.render_annotation(&data, &ctx);
                self.failure(shown, e.to_string())
            }
        }
    }

    fn failure(&self, shown: String, message: String) -> Result<String, String> {
        if self.errors_as_text {
            Ok(shown)
        } else {
            Err(message)
        }
    }
}

impl Templater for EngineTemplater {
    /// Renders without an alert name (template errors name the template as for an empty name) and without `query`.
    fn render(
        &self,
        _field: &str,
        text: &str,
        input: &TemplateInput<'_>,
    ) -> Result<String, String> {
        self.render_with("", None, text, input)
    }
}

/// An [`EngineTemplater`] bound to one rule and one querier for the duration of an evaluation.
pub struct BoundTemplater<'a> {
    inner: &'a EngineTemplater,
    alert: &'a str,
    querier: Option<&'a dyn TemplateQuerier>,
}

impl Templater for BoundTemplater<'_> {
    fn render(
        &self,
        _field: &str,
        text: &str,
        input: &TemplateInput<'_>,
    ) -> Result<String, String> {
        self.inner
            .render_with(self.alert, self.querier, text, input)
    }
}

/// The `query` template function over the embedded engine and a series source.
pub struct EngineQuerier<'a> {
    pub engine: &'a Engine,
    pub source: &'a dyn SeriesSource,
}

impl TemplateQuerier for EngineQuerier<'_> {
    fn query(&self, expr: &str, ts: SystemTime) -> Result<Vec<QuerySample>, String> {
        let parsed = crate::promql::parse_promql(expr)?;
        let ms = ts
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        match self
            .engine
            .instant(self.source, &parsed, ms)
            .map_err(|e| e.to_string())?
        {
            Value::Vector(samples) => Ok(samples
                .into_iter()
                .map(|s| QuerySample {
                    labels: s
                        .labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    value: s.v,
                    timestamp: s.t.div_euclid(1000),
                })
                .collect()),
            Value::Scalar(v, t) => Ok(vec![QuerySample {
                labels: Labels::new(),
                value: v,
                timestamp: t.div_euclid(1000),
            }]),
            other => Err(format!(
                "query result is not a vector or scalar: {}",
                other.type_name()
            )),
        }
    }
}

/// Milliseconds since the epoch as a `SystemTime` (negative times clamp to the epoch).
fn ms_to_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(labels: &Labels) -> TemplateInput<'_> {
        TemplateInput {
            labels,
            value: 1.0,
            expr: "up",
            alert_id: 0,
            group_id: 0,
            active_at_ms: 0,
            for_ms: 0,
            is_partial: false,
            eval_ts_ms: 0,
        }
    }

    #[test]
    fn plain_text_renders_verbatim_and_is_not_compiled() {
        let t = EngineTemplater::new(TemplateDialect::Prometheus, Labels::new(), String::new());
        let l = Labels::new();
        assert_eq!(
            t.bind("A", None)
                .render("annotations.x", "hello", &input(&l)),
            Ok("hello".to_string())
        );
        assert!(t.cache.lock().map(|c| c.is_empty()).unwrap_or(false));
    }

    #[test]
    fn parse_errors_are_cached_and_shown_as_promtool_does() {
        let t = EngineTemplater::new(TemplateDialect::Prometheus, Labels::new(), String::new())
            .errors_as_text(true);
        let l = Labels::new();
        let b = t.bind("A", None);
        let got = b.render("annotations.x", "{{ $labels. }}", &input(&l));
        let text = got.unwrap_or_default();
        assert!(text.starts_with("<error expanding template: "), "{text}");
        let _ = b.render("annotations.x", "{{ $labels. }}", &input(&l));
        assert_eq!(t.cache.lock().map(|c| c.len()).unwrap_or(0), 1);
        let strict =
            EngineTemplater::new(TemplateDialect::Prometheus, Labels::new(), String::new());
        assert!(
            strict
                .bind("A", None)
                .render("annotations.x", "{{ $labels. }}", &input(&l))
                .is_err()
        );
    }

    #[test]
    fn engine_querier_returns_vector_and_scalar() {
        use crate::promql::engine::{Labels as EL, Storage};
        let mut st = Storage::new();
        st.add(&EL::new([("__name__", "up"), ("job", "a")]), 0, 1.0);
        let engine = Engine::default();
        let q = EngineQuerier {
            engine: &engine,
            source: &st,
        };
        let got = q.query("up", UNIX_EPOCH).unwrap_or_default();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].labels.get("job").map(String::as_str), Some("a"));
        let got = q.query("1+1", UNIX_EPOCH).unwrap_or_default();
        assert_eq!(got[0].value, 2.0);
        assert!(q.query("up{", UNIX_EPOCH).is_err());
    }
}
