//! Resolved remote-write settings: what the `-remoteWrite.*` flags turn into. The CLI parses and validates the
//! flags; this module only holds the values, their vmalert defaults, and secrets that never print.
//!
//! No IO here except [`Secret::read`], which reads a secret file when a request is built (so rotated tokens are
//! picked up, as vmalert does).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// vmalert's `-remoteWrite.maxQueueSize`: samples buffered before pushes are dropped.
pub const DEFAULT_MAX_QUEUE_SIZE: usize = 100_000;
/// vmalert's `-remoteWrite.maxBatchSize`: samples per request.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 10_000;
/// vmalert's `-remoteWrite.flushInterval`.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(2);
/// vmalert's `-remoteWrite.sendTimeout`.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// vmalert's `-remoteWrite.retryMinInterval`: the first backoff delay, doubled on every retry.
pub const DEFAULT_RETRY_MIN_INTERVAL: Duration = Duration::from_secs(1);
/// vmalert's `-remoteWrite.retryMaxTime`: the budget for backoff delays of one batch.
pub const DEFAULT_RETRY_MAX_TIME: Duration = Duration::from_secs(30);

/// `-remoteWrite.maxDiskUsage` default: 1 GiB of segment files.
pub const DEFAULT_MAX_DISK_USAGE: u64 = 1 << 30;
/// `-remoteWrite.maxRowsPerSecond` default: the pace of a durable queue's sender.
pub const DEFAULT_MAX_ROWS_PER_SECOND: u64 = 50_000;

/// The durable queue (`-remoteWrite.queuePath`); without it the queue is vmalert's, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskQueueSettings {
    /// `-remoteWrite.queuePath`: the directory of segment files, created when missing.
    pub path: PathBuf,
    /// `-remoteWrite.maxDiskUsage`: bytes of segment files; the oldest are dropped beyond it.
    pub max_bytes: u64,
    /// `-remoteWrite.maxRowsPerSecond`: samples sent per second at most; 0 for no limit.
    pub max_rows_per_second: u64,
}

impl DiskQueueSettings {
    /// Settings with the defaults for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        DiskQueueSettings {
            path: path.into(),
            max_bytes: DEFAULT_MAX_DISK_USAGE,
            max_rows_per_second: DEFAULT_MAX_ROWS_PER_SECOND,
        }
    }
}

/// vmalert's `-remoteWrite.concurrency` default: twice the CPUs available to the process (cgroup limits included).
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * 2
}

/// Everything the remote writer needs. Build with [`RemoteWriteSettings::new`] and change fields. Prints without
/// secrets: the URL's user info is hidden, as are auth and header values.
#[derive(Clone)]
pub struct RemoteWriteSettings {
    /// `-remoteWrite.url`. `/api/v1/write` is appended unless `disable_path_append`. User info in the URL
    /// (`http://user:pass@host`) is used as basic auth when `auth` is [`Auth::None`], and never logged.
    pub url: String,
    /// `-remoteWrite.disablePathAppend`.
    pub disable_path_append: bool,
    /// `-remoteWrite.concurrency`: workers sending in parallel. At least 1.
    pub concurrency: usize,
    /// `-remoteWrite.maxQueueSize`: samples held in memory; pushes beyond it are dropped. At least 1.
    pub max_queue_size: usize,
    /// `-remoteWrite.maxBatchSize`: samples per request. At least 1.
    pub max_batch_size: usize,
    /// `-remoteWrite.flushInterval`: a partial batch waits at most this long.
    pub flush_interval: Duration,
    /// `-remoteWrite.sendTimeout`: one HTTP attempt, connection included.
    pub send_timeout: Duration,
    /// `-remoteWrite.retryMinInterval`: the first backoff delay.
    pub retry_min_interval: Duration,
    /// `-remoteWrite.retryMaxTime`: the sum of backoff delays for one batch; then the batch is dropped.
    pub retry_max_time: Duration,
    /// `-remoteWrite.basicAuth.*` / `-remoteWrite.bearerToken*`.
    pub auth: Auth,
    /// `-remoteWrite.tls*`.
    pub tls: TlsSettings,
    /// `-remoteWrite.headers`: extra headers, set after the protocol headers and before auth.
    pub headers: Vec<(String, Secret)>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// `-remoteWrite.queuePath` and its limits; `None` keeps vmalert's in-memory queue.
    pub disk_queue: Option<DiskQueueSettings>,
}

impl RemoteWriteSettings {
    /// Settings with vmalert's defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RemoteWriteSettings {
            url: url.into(),
            disable_path_append: false,
            concurrency: default_concurrency(),
            max_queue_size: DEFAULT_MAX_QUEUE_SIZE,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            retry_min_interval: DEFAULT_RETRY_MIN_INTERVAL,
            retry_max_time: DEFAULT_RETRY_MAX_TIME,
            auth: Auth::None,
            tls: TlsSettings::default(),
            headers: Vec::new(),
            user_agent: concat!("tocsin/", env!("CARGO_PKG_VERSION")).to_string(),
            disk_queue: None,
        }
    }
}

impl fmt::Debug for RemoteWriteSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match reqwest::Url::parse(&self.url) {
            Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
                // Only fails for URLs that cannot carry user info, and those have none to hide.
                let _ = u.set_username("<user>");
                let _ = u.set_password(None);
                u.to_string()
            }
            Ok(_) => self.url.clone(),
            Err(_) => "<unparsable>".to_string(),
        };
        f.debug_struct("RemoteWriteSettings")
            .field("url", &url)
            .field("disable_path_append", &self.disable_path_append)
            .field("concurrency", &self.concurrency)
            .field("max_queue_size", &self.max_queue_size)
            .field("max_batch_size", &self.max_batch_size)
            .field("flush_interval", &self.flush_interval)
            .field("send_timeout", &self.send_timeout)
            .field("retry_min_interval", &self.retry_min_interval)
            .field("retry_max_time", &self.retry_max_time)
            .field("auth", &self.auth)
            .field("tls", &self.tls)
            .field("headers", &self.headers)
            .field("user_agent", &self.user_agent)
            .field("disk_queue", &self.disk_queue)
            .finish()
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Basic …`.
    Basic { username: String, password: Secret },
    /// `Authorization: Bearer …`.
    Bearer(Secret),
}

/// A secret value, given inline or as a file read on every request. Prints as `<secret>`.
#[derive(Clone)]
pub enum Secret {
    Inline(String),
    File(PathBuf),
}

impl Secret {
    /// The value; a file's content is trimmed of surrounding whitespace (a trailing newline is common).
    pub fn read(&self) -> std::io::Result<String> {
        match self {
            Secret::Inline(v) => Ok(v.clone()),
            Secret::File(path) => Ok(std::fs::read_to_string(path)?.trim().to_string()),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Inline(_) => f.write_str("<secret>"),
            Secret::File(path) => write!(f, "<secret from {}>", path.display()),
        }
    }
}

/// Client TLS settings. Files are read once, when the writer starts.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// `-remoteWrite.tlsCAFile`: when set, only these roots are trusted (as Go does with `RootCAs`).
    pub ca_file: Option<PathBuf>,
    /// `-remoteWrite.tlsCertFile`: client certificate (PEM); needs `key_file`.
    pub cert_file: Option<PathBuf>,
    /// `-remoteWrite.tlsKeyFile`: client key (PEM).
    pub key_file: Option<PathBuf>,
    /// `-remoteWrite.tlsInsecureSkipVerify`.
    pub insecure_skip_verify: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = RemoteWriteSettings {
            auth: Auth::Basic {
                username: "u".into(),
                password: Secret::Inline("hunter2".into()),
            },
            headers: vec![("X-Token".into(), Secret::Inline("abc123".into()))],
            ..RemoteWriteSettings::new("http://me:pa55@127.0.0.1:1")
        };
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("abc123"), "{printed}");
        assert!(!printed.contains("pa55"), "{printed}");
    }

    #[test]
    fn defaults_are_vmalerts() {
        let s = RemoteWriteSettings::new("http://x");
        assert_eq!(s.max_queue_size, 100_000);
        assert_eq!(s.max_batch_size, 10_000);
        assert_eq!(s.flush_interval, Duration::from_secs(2));
        assert!(s.concurrency >= 2);
    }
}
