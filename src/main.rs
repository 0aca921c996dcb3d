//! The `skygen` binary: parse arguments, run the library, print, exit. Nothing else.

use std::io::Write;

/// mimalloc instead of the system allocator: a render makes tens of thousands of small
/// allocations, and glibc's malloc and free were about a fifth of its instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        #[expect(
            clippy::print_stderr,
            reason = "the panic hook is the last resort for output"
        )]
        {
            eprintln!("error: internal error: {info}\nthis is a skygen bug, please report it with the command you ran");
        }
    }));
    let outcome = match skygen::run(std::env::args(), &mut std::io::stdin().lock()) {
        Ok(o) => o,
        Err(e) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr (exit 2).
            if e.use_stderr() {
                // A usage error quotes the argument as given: escaped like every message (#17).
                let text = e.render().to_string();
                let _ = write!(
                    std::io::stderr(),
                    "{}",
                    skygen::diagnostics::escaped_lines(&text)
                );
                std::process::exit(2);
            }
            let _ = e.print();
            std::process::exit(0);
        }
    };
    let mut stderr = std::io::stderr().lock();
    for d in &outcome.diagnostics {
        let _ = writeln!(stderr, "{}", d.render());
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(outcome.stdout.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`skygen render | head`) is not an error.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(stderr, "error: cannot write output: {e}");
            std::process::exit(2);
        }
    }
    std::process::exit(outcome.status.code());
}
