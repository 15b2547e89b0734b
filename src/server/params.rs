//! Query-string reading for the API: repeated keys (`rule_group[]=a&rule_group[]=b`), booleans and numbers as
//! Go's `strconv` reads them, each failure an [`ApiError::BadParam`] naming the parameter. Pure.

use super::error::ApiError;

/// The decoded query string, pairs in order.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        let pairs = raw
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Params { pairs }
    }

    /// The first value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every non-empty value of `key` and of `key[]`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        let bracketed = format!("{key}[]");
        self.pairs
            .iter()
            .filter(|(k, v)| (k == key || *k == bracketed) && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean as Go's `strconv.ParseBool` reads it; absent or empty is `false`.
    pub fn bool(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(false),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
            Some(v) => Err(ApiError::bad_param(key, format!("invalid boolean {v:?}"))),
        }
    }

    /// A required unsigned integer ID.
    pub fn id(&self, key: &str) -> Result<u64, ApiError> {
        let v = self.get(key).unwrap_or("");
        v.parse().map_err(|_| {
            ApiError::bad_param(key, format!("expected an unsigned integer, got {v:?}"))
        })
    }

    /// An optional positive integer.
    pub fn positive(&self, key: &str) -> Result<Option<usize>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(ApiError::bad_param(
                    key,
                    format!("expected a positive integer, got {v:?}"),
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_bracketed_keys() {
        let p = Params::parse(Some("rule_group[]=a&rule_group=b&rule_group[]=&x=%2F"));
        assert_eq!(p.all("rule_group"), vec!["a", "b"]);
        assert_eq!(p.get("x"), Some("/"));
        assert!(p.all("file").is_empty());
    }

    #[test]
    fn numbers_and_booleans_name_the_parameter() {
        let p = Params::parse(Some("a=true&b=maybe&n=0&id=12x"));
        assert_eq!(p.bool("a"), Ok(true));
        assert_eq!(p.bool("missing"), Ok(false));
        assert!(p.bool("b").unwrap_err().to_string().starts_with("b: "));
        assert!(p.positive("n").unwrap_err().to_string().starts_with("n: "));
        assert!(p.id("id").unwrap_err().to_string().starts_with("id: "));
    }
}
