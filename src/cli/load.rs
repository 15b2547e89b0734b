//! What `tocsin run` reads from disk, at startup and on every reload: the rule files, the `-rule.templates`
//! files, and a fingerprint of them (and of `-notifier.config`) so `-configCheckInterval` reloads only when something changed. Reads and
//! parses; starts nothing.

use super::run_settings::RunSettings;
use crate::config::{self, Group, Severity};
use crate::source::files;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Loads every rule file as vmalert does; any error stops startup, with all errors listed.
pub fn load_rules(settings: &RunSettings) -> Result<Vec<Group>, String> {
    if settings.rule_patterns.is_empty() {
        if settings.kube.is_some() {
            // Rules come from Kubernetes objects only.
            return Ok(Vec::new());
        }
        return Err("no -rule given".to_string());
    }
    let (paths, source_errors) = files::expand_all(&settings.rule_patterns);
    let mut errors: Vec<String> = source_errors.iter().map(ToString::to_string).collect();
    let mut groups = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match files::read(&path) {
            Ok(text) => {
                let loaded = config::load_text(&name, &text, &settings.load);
                for d in &loaded.diagnostics {
                    match d.severity {
                        Severity::Error => errors.push(d.to_string()),
                        _ => tracing::warn!("{d}"),
                    }
                }
                groups.extend(loaded.groups);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(format!("cannot load rules:\n{}", errors.join("\n")));
    }
    if settings.results_limit > 0 {
        for g in &mut groups {
            if g.limit == 0 {
                g.limit = settings.results_limit;
            }
        }
    }
    Ok(groups)
}

/// The `define` blocks of the `-rule.templates` files, available to every annotation.
pub fn load_templates(settings: &RunSettings) -> Result<crate::template::TemplateSet, String> {
    if settings.template_patterns.is_empty() {
        return Ok(crate::template::TemplateSet::default());
    }
    let (paths, errors) = files::expand_all(&settings.template_patterns);
    if let Some(e) = errors.first() {
        return Err(format!("-rule.templates: {e}"));
    }
    let mut texts = Vec::with_capacity(paths.len());
    for path in &paths {
        texts.push((
            path.display().to_string(),
            files::read(path).map_err(|e| format!("-rule.templates: {e}"))?,
        ));
    }
    let pairs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    crate::template::TemplateSet::parse(&pairs, crate::template::TemplateDialect::Vmalert)
        .map_err(|e| format!("-rule.templates: {e}"))
}

/// A hash of the names and contents of every rule and template file (unreadable files hash their error), so a
/// periodic check can tell whether a reload is needed.
pub fn fingerprint(settings: &RunSettings) -> u64 {
    let mut h = DefaultHasher::new();
    for patterns in [&settings.rule_patterns, &settings.template_patterns] {
        let (paths, errors) = files::expand_all(patterns);
        for e in &errors {
            e.to_string().hash(&mut h);
        }
        for path in paths {
            path.hash(&mut h);
            match files::read(&path) {
                Ok(text) => text.hash(&mut h),
                Err(e) => e.to_string().hash(&mut h),
            }
        }
    }
    if let Some(path) = &settings.notifier_config {
        match std::fs::read(path) {
            Ok(bytes) => bytes.hash(&mut h),
            Err(e) => e.to_string().hash(&mut h),
        }
    }
    h.finish()
}

/// A hash of the template files alone: a reload rebuilds the templater (and restarts every group) only when it
/// changed.
pub fn templates_fingerprint(settings: &RunSettings) -> u64 {
    let only_templates = RunSettings {
        rule_patterns: Vec::new(),
        notifier_config: None,
        ..settings.clone()
    };
    fingerprint(&only_templates)
}
