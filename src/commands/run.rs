//! `huizong run`.

use crate::cli::{Outcome, RunArgs};
use crate::Result;

pub fn run(_args: &RunArgs) -> Result<Outcome> {
    todo!("run command")
}
