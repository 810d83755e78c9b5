//! `huizong draft`.

use crate::cli::{DraftArgs, Outcome};
use crate::Result;

pub fn run(_args: &DraftArgs) -> Result<Outcome> {
    todo!("draft command")
}
