//! Decodes Prometheus HTTP API instant-query answers (`vector` and `scalar`, `stats.seriesFetched`, `isPartial`,
//! error bodies) into [`QueryResult`]. Pure: bytes in, values out; knows nothing about HTTP status codes.

use crate::rule::{PackedLabels, QueryResult, QuerySample};
use serde::Deserialize;
use serde_json::Value;

/// Why a response body could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot decode response: {0}")]
    Json(String),
    /// `{"status":"error",...}`: the datasource's own verdict, e.g. a bad expression.
    #[error("response error {error_type:?}: {error}")]
    Api { error_type: String, error: String },
    #[error("unknown response status {0:?}")]
    Status(String),
    /// `matrix` or `string`: not a valid result for a rule.
    #[error("unsupported result type {0:?}; want vector or scalar")]
    ResultType(String),
    #[error("bad sample: {0}")]
    Sample(String),
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    stats: Option<Stats>,
    #[serde(default, rename = "isPartial")]
    is_partial: Option<bool>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(default)]
    result: Value,
}

#[derive(Deserialize)]
struct Stats {
    /// VictoriaMetrics sends a string ("for historical reasons"); accept a number too.
    #[serde(default, rename = "seriesFetched")]
    series_fetched: Option<Value>,
}

/// Decodes a successful (HTTP 200) instant-query body.
pub fn decode_instant(body: &[u8]) -> Result<QueryResult, DecodeError> {
    let env: Envelope =
        serde_json::from_slice(body).map_err(|e| DecodeError::Json(e.to_string()))?;
    match env.status.as_str() {
        "success" => {}
        "error" => {
            return Err(DecodeError::Api {
                error_type: env.error_type.unwrap_or_default(),
                error: env.error.unwrap_or_default(),
            });
        }
        other => return Err(DecodeError::Status(other.to_string())),
    }
    let data = env
        .data
        .ok_or_else(|| DecodeError::Json("missing \"data\"".into()))?;
    let samples = match data.result_type.as_str() {
        "vector" => decode_vector(&data.result)?,
        "scalar" => vec![decode_point(&data.result, PackedLabels::default())?],
        other => return Err(DecodeError::ResultType(other.to_string())),
    };
    let series_fetched =
        match env.stats.and_then(|s| s.series_fetched) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.parse::<u64>().map_err(|_| {
                DecodeError::Json(format!("stats.seriesFetched {s:?} is not a count"))
            })?),
            Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
                DecodeError::Json(format!("stats.seriesFetched {n} is not a count"))
            })?),
            Some(v) => {
                return Err(DecodeError::Json(format!(
                    "stats.seriesFetched {v} is not a count"
                )));
            }
        };
    Ok(QueryResult {
        samples,
        series_fetched,
        is_partial: env.is_partial.unwrap_or(false),
    })
}

/// Reads an error body (`{"status":"error","errorType":...,"error":...}`) if that is what it is.
pub fn decode_error(body: &[u8]) -> Option<(String, String)> {
    let env: Envelope = serde_json::from_slice(body).ok()?;
    (env.status == "error").then(|| {
        (
            env.error_type.unwrap_or_default(),
            env.error.unwrap_or_default(),
        )
    })
}

fn decode_vector(result: &Value) -> Result<Vec<QuerySample>, DecodeError> {
    let items = result
        .as_array()
        .ok_or_else(|| DecodeError::Json("vector result is not an array".into()))?;
    items
        .iter()
        .map(|item| {
            let metric = item
                .get("metric")
                .and_then(Value::as_object)
                .ok_or_else(|| DecodeError::Sample(format!("missing \"metric\" in {item}")))?;
            let mut pairs = Vec::with_capacity(metric.len());
            for (k, v) in metric {
                let v = v.as_str().ok_or_else(|| {
                    DecodeError::Sample(format!("label {k:?} has non-string value {v}"))
                })?;
                pairs.push((k.as_str(), v));
            }
            let labels: PackedLabels = pairs.into_iter().collect();
            let value = item
                .get("value")
                .ok_or_else(|| DecodeError::Sample(format!("missing \"value\" in {item}")))?;
            decode_point(value, labels)
        })
        .collect()
}

/// `[<unix seconds as a number>, "<value>"]`.
fn decode_point(point: &Value, labels: PackedLabels) -> Result<QuerySample, DecodeError> {
    let bad = || DecodeError::Sample(format!("want [timestamp, \"value\"], got {point}"));
    let pair = point.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
    let ts = pair[0].as_f64().ok_or_else(bad)?;
    let text = pair[1].as_str().ok_or_else(bad)?;
    let value = parse_value(text)
        .ok_or_else(|| DecodeError::Sample(format!("cannot parse value {text:?}")))?;
    Ok(QuerySample {
        labels,
        value,
        timestamp_ms: (ts * 1000.0).round() as i64,
    })
}

/// A sample value as Prometheus formats it: a decimal float, `NaN`, `+Inf` or `-Inf` (and `Inf`).
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse::<f64>().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::labels::from_pairs;

    #[test]
    fn vector_with_labels_values_and_timestamps() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"up","job":"node"},"value":[1435781451.781,"1"]},
            {"metric":{},"value":[1435781451,"NaN"]},
            {"metric":{"a":"b"},"value":[1435781451.5,"+Inf"]},
            {"metric":{"a":"c"},"value":[1435781451,"-Inf"]},
            {"metric":{"a":"d"},"value":[1435781451,"-1.5e-3"]}]}}"#;
        let r = decode_instant(body).unwrap();
        assert_eq!(r.samples.len(), 5);
        assert_eq!(
            r.samples[0].labels,
            from_pairs(&[("__name__", "up"), ("job", "node")])
        );
        assert_eq!(r.samples[0].value, 1.0);
        assert_eq!(r.samples[0].timestamp_ms, 1_435_781_451_781);
        assert!(r.samples[1].value.is_nan());
        assert!(r.samples[1].labels.is_empty());
        assert_eq!(r.samples[2].value, f64::INFINITY);
        assert_eq!(r.samples[2].timestamp_ms, 1_435_781_451_500);
        assert_eq!(r.samples[3].value, f64::NEG_INFINITY);
        assert_eq!(r.samples[4].value, -0.0015);
        assert_eq!(r.series_fetched, None);
        assert!(!r.is_partial);
    }

    #[test]
    fn scalar_is_one_sample_without_labels() {
        let r = decode_instant(
            br#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}"#,
        )
        .unwrap();
        assert_eq!(
            r.samples,
            vec![QuerySample {
                labels: PackedLabels::default(),
                value: 42.0,
                timestamp_ms: 1_700_000_000_000
            }]
        );
    }

    #[test]
    fn stats_and_is_partial() {
        // VictoriaMetrics writes seriesFetched as a string; a number is accepted too.
        let r = decode_instant(br#"{"status":"success","isPartial":true,"data":{"resultType":"vector","result":[]},"stats":{"seriesFetched": "17","executionTimeMsec":3}}"#).unwrap();
        assert_eq!(r.series_fetched, Some(17));
        assert!(r.is_partial);
        assert!(r.samples.is_empty());
        let r = decode_instant(br#"{"status":"success","data":{"resultType":"vector","result":[]},"stats":{"seriesFetched":0}}"#).unwrap();
        assert_eq!(r.series_fetched, Some(0));
        assert!(matches!(
            decode_instant(br#"{"status":"success","data":{"resultType":"vector","result":[]},"stats":{"seriesFetched":"x"}}"#),
            Err(DecodeError::Json(_))
        ));
    }

    #[test]
    fn errors() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#;
        assert_eq!(
            decode_instant(body),
            Err(DecodeError::Api {
                error_type: "bad_data".into(),
                error: "parse error at char 4".into()
            })
        );
        assert_eq!(
            decode_error(body),
            Some(("bad_data".into(), "parse error at char 4".into()))
        );
        assert_eq!(decode_error(b"<html>502</html>"), None);
        for (body, want) in [
            (
                &br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#[..],
                "matrix",
            ),
            (
                br#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
                "string",
            ),
        ] {
            assert_eq!(
                decode_instant(body),
                Err(DecodeError::ResultType(want.into()))
            );
        }
        assert!(matches!(
            decode_instant(b"not json"),
            Err(DecodeError::Json(_))
        ));
        assert!(matches!(decode_instant(br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}"#), Err(DecodeError::Sample(_))));
        assert!(matches!(decode_instant(br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}"#), Err(DecodeError::Sample(_))));
        assert!(matches!(
            decode_instant(br#"{"status":"weird"}"#),
            Err(DecodeError::Status(_))
        ));
    }
}
