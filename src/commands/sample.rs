//! `huizong sample`.

use crate::cli::{Outcome, SampleArgs};
use crate::Result;

pub fn run(_args: &SampleArgs) -> Result<Outcome> {
    todo!("sample command")
}
