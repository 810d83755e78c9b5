//! Command-line entry point: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

/// mimalloc instead of the system allocator. A run allocates millions of small strings and maps
/// (cells, records, per-unit value tables) across threads and frees them in other phases; with
/// glibc's allocator, consolidating freed blocks alone (`malloc_consolidate`) was up to a tenth
/// of some phases at 10,000 units. The benchmark's floor (examples/floor.rs) uses the same
/// allocator, so the run/floor ratio compares like with like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    huizong::cli::main()
}
