//! Rule files: the serde model of what users write, validation with file:line:field errors, and the compiled
//! groups and rules the rest of tocsin runs.
//!
//! Does no IO beyond reading the paths it is handed; never evaluates anything.
