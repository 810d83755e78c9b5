//! `huizong sample`: writes the sample county (registry + filled workbooks) to a folder.

use crate::cli::{Outcome, SampleArgs};
use crate::sample::{self, SampleOptions};
use crate::Result;

pub fn run(args: &SampleArgs) -> Result<Outcome> {
    let opts = SampleOptions {
        units: args.units,
        years: args.years.clone(),
        seed: args.seed,
        clean: args.clean,
        county: args
            .county
            .clone()
            .unwrap_or_else(|| sample::COUNTY_CODE.to_string()),
    };
    if !crate::aggregate::rollup::is_division_code(&opts.county) {
        return Err(crate::Error::Usage(format!(
            "--county “{}”应为 6 位数字的县级行政区划代码（如 411321）",
            opts.county
        )));
    }
    if opts.years.is_empty() {
        return Err(crate::Error::Usage("--years 至少需要一个年度".into()));
    }
    if args.units.is_some_and(|n| n < 4) {
        return Err(crate::Error::Usage(
            "--units 至少为 4（乡镇、部门、县本级、县法院各一）".into(),
        ));
    }
    let schema = args.schema.load()?;
    let (county, files) = match (args.prior_edition, schema.previous(), &schema.mapping) {
        (false, _, _) => {
            let county = sample::generate(&schema, &opts);
            let files = sample::write(&schema, &county, opts.seed, &args.out)?;
            (county, files)
        }
        (true, Some(old), Some(mapping)) => {
            let mut county = sample::generate(old, &opts);
            let last = opts.sorted_years().last().copied().unwrap_or_default();
            sample::edition::convert(&mut county, &schema, mapping, last);
            let schema_of = |y: i32| if y >= last { &schema } else { old };
            let files = sample::write_with(&schema_of, &county, opts.seed, &args.out)?;
            (county, files)
        }
        (true, _, _) => {
            return Err(crate::Error::Usage(format!(
                "--prior-edition：指标体系“{}”没有写明上一版（[previous]），请用 --schema 给出新版，如 --schema fazhi-2025",
                schema.id
            )))
        }
    };
    crate::outln!(
        "已生成示例县：{} 个单位，{} 份报表，植入典型错误 {} 处，输出到 {}",
        county.registry.units.len(),
        files,
        county.defects.len(),
        args.out.display()
    )?;
    Ok(Outcome::Clean)
}
