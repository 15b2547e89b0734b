//! Command-line entry points: subcommands and flag parsing. Wires the library together; holds no business logic.
