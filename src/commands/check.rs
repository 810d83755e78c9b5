//! `huizong check`.

use crate::cli::{CheckArgs, Outcome};
use crate::Result;

pub fn run(_args: &CheckArgs) -> Result<Outcome> {
    todo!("check command")
}
