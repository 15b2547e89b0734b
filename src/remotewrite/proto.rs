//! The Prometheus remote-write 1.0 messages (`prompb/remote.proto`, `prompb/types.proto`), declared by hand with
//! `prost` derives so that no protoc or build script is needed.
//!
//! Only the fields tocsin writes are declared: `WriteRequest.metadata` (3), `TimeSeries.exemplars` (3) and
//! `TimeSeries.histograms` (4) are never sent. Decoding a message that has them skips them, as protobuf does for
//! unknown fields. Pure data: no encoding policy lives here (see `encode`).

/// `prometheus.WriteRequest`: field 1 `repeated TimeSeries timeseries` (field 2 is reserved upstream).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// `prometheus.TimeSeries`: field 1 `repeated Label labels`, field 2 `repeated Sample samples`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

/// `prometheus.Label`: field 1 `string name`, field 2 `string value`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Label {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`: field 1 `double value`, field 2 `int64 timestamp` (milliseconds since the epoch).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    #[prost(double, tag = "1")]
    pub value: f64,
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}
