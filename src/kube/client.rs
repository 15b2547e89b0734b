//! The Kubernetes API client: from `-kube.kubeconfig` when given, else the in-cluster service account. IO (reads
//! the kubeconfig and the service account files); never logs tokens or certificates.

use std::path::Path;

/// Why no client could be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
    #[error("not running in a cluster and no -kube.kubeconfig given: {0}")]
    InCluster(String),
    #[error("cannot build the Kubernetes client: {0}")]
    Build(String),
    #[error("invalid API server URL {0:?}")]
    Url(String),
}

/// A client and the namespace it defaults to (the kubeconfig context's, or the pod's own).
pub async fn connect(kubeconfig: Option<&Path>) -> Result<(kube::Client, String), ClientError> {
    let config = match kubeconfig {
        Some(path) => {
            let err = |message: String| ClientError::Kubeconfig {
                path: path.display().to_string(),
                message,
            };
            let kc = kube::config::Kubeconfig::read_from(path).map_err(|e| err(e.to_string()))?;
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(|e| err(e.to_string()))?
        }
        None => kube::Config::incluster().map_err(|e| ClientError::InCluster(e.to_string()))?,
    };
    from_config(config)
}

/// A client for a plain `http://` API server without authentication (the fake API server of the tests).
pub fn plain(url: &str, namespace: &str) -> Result<(kube::Client, String), ClientError> {
    let uri = url.parse().map_err(|_| ClientError::Url(url.to_string()))?;
    let mut config = kube::Config::new(uri);
    config.default_namespace = namespace.to_string();
    from_config(config)
}

fn from_config(config: kube::Config) -> Result<(kube::Client, String), ClientError> {
    let namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| ClientError::Build(e.to_string()))?;
    Ok((client, namespace))
}
