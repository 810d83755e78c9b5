//! `huizong rule CODE` / `--all` / `--markdown`: explain the checks, from the one code table and
//! the schema's expression rules ([`crate::codes::explain`]).

use crate::cli::{Outcome, RuleArgs};
use crate::codes::{explain, Code};
use crate::{Error, Result};

pub fn run(args: &RuleArgs) -> Result<Outcome> {
    let schema = args.schema.load()?;
    if args.markdown {
        crate::console::text(&explain::markdown(&schema))?;
        return Ok(Outcome::Clean);
    }
    let entries = explain::all(&schema);
    match (&args.code, args.all) {
        (_, true) => {
            let list: String = entries
                .iter()
                .map(|e| format!("{}\t{}\t{}\n", e.code, e.severity.label(), e.title))
                .collect();
            crate::console::text(&list)?;
        }
        (Some(code), false) => {
            let want = Code::parse(&code.trim().to_ascii_uppercase());
            let e = entries
                .iter()
                .find(|e| Some(e.code) == want)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "没有规则 {code}；用 huizong rule --all 查看全部规则"
                    ))
                })?;
            crate::console::text(&explain::render(e))?;
        }
        (None, false) => {
            return Err(Error::Usage(
                "请给出规则代码（如 V25），或用 --all 列出全部规则".into(),
            ))
        }
    }
    Ok(Outcome::Clean)
}
