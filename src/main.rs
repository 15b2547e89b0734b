//! The `tocsin` binary: hands the process arguments to [`tocsin::cli`].

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = tocsin::cli::main(&args, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
