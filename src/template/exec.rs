//! Executes parsed templates: placeholder until the executor lands.
use super::data::RenderContext;
use super::parse::TreeSet;
use super::value::Value;
use super::{TemplateDialect, TemplateError};

pub fn execute(
    name: &str,
    _trees: &TreeSet,
    _dialect: TemplateDialect,
    _root: Value,
    _ctx: &RenderContext<'_>,
) -> Result<String, TemplateError> {
    Err(TemplateError::ExecNoNode {
        template: name.into(),
        message: "not implemented".into(),
    })
}
