//! The history file: accepted long-form data (year, unit, indicator, value, origin) written by
//! every run, so next year's run needs only that file as `--prior`.

use std::path::Path;

use super::Record;
use crate::Result;

/// Reads a history file written by [`write`].
pub fn read(_path: &Path) -> Result<Vec<Record>> {
    todo!("history read")
}

/// Writes records (sorted) to `path` atomically.
pub fn write(_path: &Path, _records: &[Record]) -> Result<()> {
    todo!("history write")
}
