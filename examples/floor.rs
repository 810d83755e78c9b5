//! Benchmark floor: the least work any consolidation of a folder of workbooks must do.
//!
//! Reads every cell of every sheet of every `.xlsx` under a folder with calamine, on a rayon
//! pool of a given size, sums the numeric cells and counts the cells. Nothing else: no schema,
//! no validation, no output files. `bench/run.sh` compares `huizong run` against this, so the
//! ratio run/floor says how much huizong adds on top of merely parsing the same files.
//!
//! Usage: `cargo run --profile bench-fast --example floor -- DIR [THREADS]`

use calamine::{open_workbook_auto, Data, Reader};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The same allocator as the `huizong` binary (src/main.rs), so the floor is measured under the
/// same conditions as the run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Cell count and numeric sum of one workbook.
#[derive(Default, Clone, Copy)]
struct Tally {
    cells: u64,
    sum: f64,
}

impl Tally {
    fn add(self, other: Tally) -> Tally {
        Tally {
            cells: self.cells + other.cells,
            sum: self.sum + other.sum,
        }
    }
}

/// Collects `.xlsx` files under `dir` recursively, sorted so every run sees the same order.
fn xlsx_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            xlsx_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

/// Reads every cell of every sheet of one workbook.
fn read_one(path: &Path) -> Result<Tally, calamine::Error> {
    let mut wb = open_workbook_auto(path)?;
    let mut tally = Tally::default();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name)?;
        for (_, _, v) in range.used_cells() {
            tally.cells += 1;
            match v {
                Data::Float(f) => tally.sum += f,
                Data::Int(i) => tally.sum += *i as f64,
                _ => {}
            }
        }
    }
    Ok(tally)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: floor DIR [THREADS]")?);
    let threads: usize = match args.next() {
        Some(t) => t.parse()?,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let start = Instant::now();
    let mut files = Vec::new();
    xlsx_files(&dir, &mut files)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let results: Vec<Result<Tally, String>> = pool.install(|| {
        files
            .par_iter()
            .map(|p| read_one(p).map_err(|e| format!("{}: {e}", p.display())))
            .collect()
    });
    let mut total = Tally::default();
    for r in results {
        total = total.add(r?);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "files={} cells={} sum={} seconds={secs:.3}",
        files.len(),
        total.cells,
        total.sum
    );
    Ok(())
}
