//! A YAML document tree that remembers where every node came from.
//!
//! Rule files are read into [`Node`]s (scalars, sequences, mappings, each with its line and column) so that the
//! extraction step can report every problem in a file with its position and field path, instead of stopping at the
//! first serde error. Anchors, aliases and `<<` merge keys are resolved here. Pure: works on text only.

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;
use std::fmt;

/// A position in a source text: 1-based line and 1-based column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub kind: NodeKind,
}

/// What a node holds. Scalars keep their text; whether a plain scalar means null is decided by [`Node::is_null`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar { value: String, quoted: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// True for an absent value: `~`, `null` or nothing at all, unquoted.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { value, quoted: false }
            if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The scalar text, if this node is a scalar.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// A short name of the node's kind, for error messages (`a mapping`, `a list`, `a string`).
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { .. } if self.is_null() => "null",
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// Parses every document of a YAML stream. Empty documents (only comments, or `---` alone) are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let m = e.marker();
            YamlError {
                pos: Pos {
                    line: m.line(),
                    col: m.col() + 1,
                },
                message: e.info(),
            }
        })?;
        let pos = Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
        };
        builder.event(event, pos)?;
    }
    Ok(builder
        .documents
        .into_iter()
        .filter(|d| !d.is_null())
        .collect())
}

/// Turns the parser's event stream into trees.
#[derive(Default)]
struct Builder {
    /// Open collections: the node under construction and, for mappings, a pending key.
    stack: Vec<Open>,
    /// Anchored nodes and the number of nodes in each.
    anchors: HashMap<usize, (Node, usize)>,
    documents: Vec<Node>,
    /// Nodes read from the text, and nodes copied in by aliases: the latter may not outgrow the former by much,
    /// so that a few lines of nested aliases cannot expand into gigabytes (a "billion laughs" file).
    direct_nodes: usize,
    alias_nodes: usize,
}

/// Nodes aliases may add beyond ten times the nodes written out.
const ALIAS_ALLOWANCE: usize = 100_000;

fn node_count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_count(k) + node_count(v))
                .sum::<usize>()
        }
    }
}

struct Open {
    node: Node,
    anchor: usize,
    pending_key: Option<Node>,
    /// Keys that came from a `<<` merge: an explicit key later in the mapping overrides them.
    merged: Vec<String>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, pos: Pos) -> Result<(), YamlError> {
        match event {
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(..)
            | Event::DocumentEnd => {}
            Event::Scalar(value, style, anchor, _tag) => {
                self.direct_nodes += 1;
                let quoted = !matches!(style, ScalarStyle::Plain);
                let node = Node {
                    pos,
                    kind: NodeKind::Scalar {
                        value: value.into_owned(),
                        quoted,
                    },
                };
                self.finish(node, anchor)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                self.direct_nodes += 1;
                self.stack.push(Open {
                    node: Node {
                        pos,
                        kind: NodeKind::Seq(Vec::new()),
                    },
                    anchor,
                    pending_key: None,
                    merged: Vec::new(),
                })
            }
            Event::MappingStart(_, anchor, _) => {
                self.direct_nodes += 1;
                self.stack.push(Open {
                    node: Node {
                        pos,
                        kind: NodeKind::Map(Vec::new()),
                    },
                    anchor,
                    pending_key: None,
                    merged: Vec::new(),
                })
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    self.finish(open.node, open.anchor)?;
                }
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(YamlError {
                        pos,
                        message: "alias refers to an unknown anchor".to_string(),
                    });
                };
                self.alias_nodes += size;
                if self.alias_nodes > ALIAS_ALLOWANCE + 10 * self.direct_nodes {
                    return Err(YamlError {
                        pos,
                        message: "document contains excessive aliasing".to_string(),
                    });
                }
                let node = node.clone();
                // The alias keeps the target's content but reports the alias's own position.
                self.finish(Node { pos, ..node }, 0)?;
            }
            Event::UnresolvedAlias(name) => {
                return Err(YamlError {
                    pos,
                    message: format!("unknown anchor {name:?}"),
                });
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        Ok(())
    }

    /// Attaches a completed node to its parent, or ends a document.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            let size = node_count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.documents.push(node);
            return Ok(());
        };
        match &mut parent.node.kind {
            NodeKind::Seq(items) => items.push(node),
            NodeKind::Map(entries) => match parent.pending_key.take() {
                None => parent.pending_key = Some(node),
                Some(key) => insert_entry(entries, &mut parent.merged, key, node)?,
            },
            NodeKind::Scalar { .. } => {}
        }
        Ok(())
    }
}

/// Adds a mapping entry, resolving `<<` merge keys and rejecting duplicate keys as Go's YAML decoders do.
fn insert_entry(
    entries: &mut Vec<(Node, Node)>,
    merged: &mut Vec<String>,
    key: Node,
    value: Node,
) -> Result<(), YamlError> {
    let is_merge = matches!(&key.kind, NodeKind::Scalar { value, quoted: false } if value == "<<");
    if is_merge {
        let sources = match value.kind {
            NodeKind::Map(m) => vec![m],
            NodeKind::Seq(items) => items
                .into_iter()
                .filter_map(|n| match n.kind {
                    NodeKind::Map(m) => Some(m),
                    _ => None,
                })
                .collect(),
            NodeKind::Scalar { .. } => {
                return Err(YamlError {
                    pos: value.pos,
                    message: "map merge requires a mapping or a list of mappings".to_string(),
                });
            }
        };
        for source in sources {
            for (k, v) in source {
                if !entries
                    .iter()
                    .any(|(existing, _)| existing.as_scalar() == k.as_scalar())
                {
                    if let Some(name) = k.as_scalar() {
                        merged.push(name.to_string());
                    }
                    entries.push((k, v));
                }
            }
        }
        return Ok(());
    }
    if let Some(name) = key.as_scalar()
        && let Some(i) = merged.iter().position(|m| m == name)
    {
        merged.remove(i);
        entries.retain(|(k, _)| k.as_scalar() != Some(name));
    }
    if let Some(name) = key.as_scalar()
        && let Some((first, _)) = entries.iter().find(|(k, _)| k.as_scalar() == Some(name))
    {
        return Err(YamlError {
            pos: key.pos,
            message: format!(
                "mapping key {name:?} already defined at line {}",
                first.pos.line
            ),
        });
    }
    entries.push((key, value));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(n: &Node) -> &str {
        n.as_scalar().expect("scalar")
    }

    #[test]
    fn positions_are_one_based() {
        let docs = parse_documents("groups:\n  - name: a\n    rules: []\n").expect("parse");
        let NodeKind::Map(top) = &docs[0].kind else {
            panic!("map")
        };
        assert_eq!(scalar(&top[0].0), "groups");
        assert_eq!(top[0].0.pos, Pos { line: 1, col: 1 });
        let NodeKind::Seq(groups) = &top[0].1.kind else {
            panic!("seq")
        };
        let NodeKind::Map(g) = &groups[0].kind else {
            panic!("map")
        };
        assert_eq!(g[0].0.pos, Pos { line: 2, col: 5 });
        assert_eq!(g[0].1.pos, Pos { line: 2, col: 11 });
    }

    #[test]
    fn multiple_documents_and_empty_ones() {
        let docs = parse_documents("a: 1\n---\n# only a comment\n---\nb: 2\n").expect("parse");
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn null_forms() {
        let docs = parse_documents("a:\nb: ~\nc: null\nd: ''\n").expect("parse");
        let NodeKind::Map(m) = &docs[0].kind else {
            panic!("map")
        };
        let nulls: Vec<bool> = m.iter().map(|(_, v)| v.is_null()).collect();
        assert_eq!(nulls, vec![true, true, true, false]);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert_eq!(err.pos.line, 3);
        assert!(
            err.message.contains("already defined at line 1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn anchors_aliases_and_merge() {
        let text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n";
        let docs = parse_documents(text).expect("parse");
        let NodeKind::Map(m) = &docs[0].kind else {
            panic!("map")
        };
        let NodeKind::Map(other) = &m[1].1.kind else {
            panic!("map")
        };
        let pairs: Vec<(&str, &str)> = other.iter().map(|(k, v)| (scalar(k), scalar(v))).collect();
        assert_eq!(pairs, vec![("x", "1"), ("y", "3")]);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x]\n");
        for i in 1..30 {
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1));
        }
        let err = parse_documents(&text).expect_err("bomb");
        assert_eq!(err.message, "document contains excessive aliasing");
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse_documents("a: [1, 2\nb: 3\n").expect_err("unclosed");
        assert!(err.pos.line >= 1);
        assert!(!err.message.is_empty());
    }
}
