//! `huizong dataset add`: adds one county-year of a run's output to a dataset folder.

use crate::cli::{DatasetAddArgs, Outcome};
use crate::pipeline;
use crate::Result;

pub fn add(args: &DatasetAddArgs) -> Result<Outcome> {
    let r = pipeline::dataset::add(&args.from, &args.into)?;
    crate::outln!(
        "{}数据集：{} 年度 {} 的 {} 条数据 → {}",
        if r.replaced { "已替换" } else { "已加入" },
        r.year,
        r.region,
        r.records,
        r.file.display()
    )?;
    Ok(Outcome::Clean)
}
