//! `huizong template`.

use crate::cli::{Outcome, TemplateArgs};
use crate::Result;

pub fn run(_args: &TemplateArgs) -> Result<Outcome> {
    todo!("template command")
}
