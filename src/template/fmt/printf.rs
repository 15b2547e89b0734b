//! Go `fmt.Sprintf`/`Sprint`/`Sprintln` over template values (placeholder).
pub enum FmtArg {}
pub fn sprint() {}
pub fn sprintf() {}
pub fn sprintln() {}
