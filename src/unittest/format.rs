//! How promtool 2.42 prints values in its failure text: Go's `%q`, `labels.Labels.String()`,
//! `strconv.FormatFloat(v, 'E', -1, 64)` and the indented alert lists. Pure.

use crate::rule::Labels;
use std::cmp::Ordering;
use std::fmt::Write;

/// Go's `strconv.Quote` (one implementation, in the template module).
pub use crate::template::fmt::go_quote;

/// Prometheus' `labels.Labels.String()`: `{a="1", b="2"}`.
pub fn labels_string(labels: &Labels) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// Go's `strconv.FormatFloat(v, 'E', -1, 64)`: `1.5E+00`, `1E+03`, `+Inf`, `NaN`.
pub fn go_float_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = format!("{v:E}");
    let (mantissa, exp) = s.split_once('E').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exp.abs())
}

/// Prometheus' `labels.Compare`: pairwise by name then value, then by length.
pub fn compare_labels(a: &Labels, b: &Labels) -> Ordering {
    for ((an, av), (bn, bv)) in a.iter().zip(b.iter()) {
        let o = an.cmp(bn).then_with(|| av.cmp(bv));
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// One alert as compared: its labels and annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelsAndAnnotations {
    pub labels: Labels,
    pub annotations: Labels,
}

/// Sorts alerts as promtool does before comparing them.
pub fn sort_alerts(list: &mut [LabelsAndAnnotations]) {
    list.sort_by(|a, b| {
        compare_labels(&a.labels, &b.labels)
            .then_with(|| compare_labels(&a.annotations, &b.annotations))
    });
}

/// promtool's list form, before indentation: `[]`, or `[\n0:\n  Labels:…\n  Annotations:…\n]`.
pub fn alerts_string(list: &[LabelsAndAnnotations]) -> String {
    if list.is_empty() {
        return "[]".into();
    }
    let mut s = String::from("[");
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let one = format!(
            "\nLabels:{}\nAnnotations:{}",
            labels_string(&a.labels),
            labels_string(&a.annotations)
        );
        let _ = write!(s, "\n{i}:{}", one.replace('\n', "\n  "));
    }
    s.push_str("\n]");
    s
}

/// Every line after the first indented by `indent`.
pub fn indent_lines(text: &str, indent: &str) -> String {
    text.replace('\n', &format!("\n{indent}"))
}

/// promtool's sample list: `nil`, or `{labels} value, {labels} value`.
pub fn samples_string(list: &[(Labels, f64)]) -> String {
    if list.is_empty() {
        return "nil".into();
    }
    list.iter()
        .map(|(l, v)| format!("{} {}", labels_string(l), go_float_e(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_e() {
        for (v, want) in [
            (0.0, "0E+00"),
            (1.0, "1E+00"),
            (1.5, "1.5E+00"),
            (1000.0, "1E+03"),
            (1.2345e-5, "1.2345E-05"),
            (-2.5e100, "-2.5E+100"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (0.1, "1E-01"),
        ] {
            assert_eq!(go_float_e(v), want, "{v}");
        }
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(go_quote("é"), "\"é\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
    }

    #[test]
    fn alert_list_matches_promtool_layout() {
        let mut l = Labels::new();
        l.insert("alertname".into(), "A".into());
        let a = LabelsAndAnnotations {
            labels: l,
            annotations: Labels::new(),
        };
        let s = indent_lines(&alerts_string(&[a.clone(), a]), "            ");
        assert_eq!(
            s,
            "[\n            0:\n              Labels:{alertname=\"A\"}\n              Annotations:{},\n            1:\n              Labels:{alertname=\"A\"}\n              Annotations:{}\n            ]"
        );
    }
}
