//! `huizong schema diff OLD NEW`: prints what changed between two editions of the indicators.

use crate::cli::{Outcome, SchemaDiffArgs};
use crate::schema::{diff, Schema};
use crate::Result;

pub fn diff(args: &SchemaDiffArgs) -> Result<Outcome> {
    let new = Schema::load_with(Some(&args.new), Some(&args.old))?;
    let (Some(old), Some(mapping)) = (new.previous(), new.mapping.as_ref()) else {
        return Err(crate::Error::Usage(format!(
            "{} 没有写明上一版（[previous]），无法比较；新版指标体系须在 [previous] 中写明上一版的 id",
            args.new.display()
        )));
    };
    crate::outln!("{}", diff::render(old, &new, mapping).trim_end())?;
    Ok(Outcome::Clean)
}
