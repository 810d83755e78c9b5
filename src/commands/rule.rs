//! `huizong rule`.

use crate::cli::{Outcome, RuleArgs};
use crate::Result;

pub fn run(_args: &RuleArgs) -> Result<Outcome> {
    todo!("rule command")
}
