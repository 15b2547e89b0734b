//! The handlebars registry: every page template and partial, embedded in the binary with `include_str!`, in
//! strict mode (a field the view model lacks is an error, not an empty string) with handlebars' HTML escaping of
//! every `{{value}}`. Templates never use triple braces, so no value reaches the page unescaped.

use handlebars::Handlebars;
use serde::Serialize;

/// The page templates by name, and the partials they share.
const TEMPLATES: &[(&str, &str)] = &[
    ("groups", include_str!("templates/groups.hbs")),
    ("alerts", include_str!("templates/alerts.hbs")),
    ("alert", include_str!("templates/alert.hbs")),
    ("rule", include_str!("templates/rule.hbs")),
    ("notifiers", include_str!("templates/notifiers.hbs")),
    ("peers", include_str!("templates/peers.hbs")),
    ("objects", include_str!("templates/objects.hbs")),
    ("error", include_str!("templates/error.hbs")),
];
const PARTIALS: &[(&str, &str)] = &[
    ("head", include_str!("templates/head.hbs")),
    ("foot", include_str!("templates/foot.hbs")),
    ("labels", include_str!("templates/labels.hbs")),
    ("when", include_str!("templates/when.hbs")),
];

/// A template that does not compile or a view that does not fit its template: both are bugs in tocsin.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("ui template {name}: {source}")]
    Template {
        name: &'static str,
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    #[error("rendering ui page {name}: {source}")]
    Render {
        name: String,
        #[source]
        source: Box<handlebars::RenderError>,
    },
}

/// Escapes text for HTML element content and double- or single-quoted attribute values (every attribute in the
/// templates is quoted). Handlebars' default also escapes `=` and `` ` ``, needed only for unquoted attributes,
/// which made links and expressions hard to read in the page source.
pub fn escape_html(text: &str) -> String {
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

/// The compiled templates, built once at start-up.
#[derive(Debug)]
pub struct Pages {
    hb: Handlebars<'static>,
}

impl Pages {
    pub fn new() -> Result<Self, RenderError> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.set_prevent_indent(true);
        hb.register_escape_fn(escape_html);
        for &(name, text) in PARTIALS {
            hb.register_partial(name, text)
                .map_err(|e| RenderError::Template {
                    name,
                    source: Box::new(e),
                })?;
        }
        for &(name, text) in TEMPLATES {
            hb.register_template_string(name, text)
                .map_err(|e| RenderError::Template {
                    name,
                    source: Box::new(e),
                })?;
        }
        Ok(Pages { hb })
    }

    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> Result<String, RenderError> {
        self.hb.render(name, data).map_err(|e| RenderError::Render {
            name: name.to_string(),
            source: Box::new(e),
        })
    }
}
