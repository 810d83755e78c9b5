//! `huizong template`: one workbook per unit active in the year, 上年数 prefilled from a history
//! file when `--prior` is given.

use std::collections::BTreeMap;
use std::path::Path;

use crate::aggregate::Record;
use crate::cli::{Outcome, TemplateArgs};
use crate::registry::{Registry, Unit};
use crate::report::template::{self, TemplateFill};
use crate::schema::{Schema, ValueType};
use crate::Result;

pub fn run(args: &TemplateArgs) -> Result<Outcome> {
    let schema = args.schema.load()?;
    let registry = Registry::load(&args.registry)?;
    let settings = crate::settings::Settings::beside(&args.registry)?;
    // A roll-up registry's regions send their run's output, not a workbook: only its own units
    // (市本级, 中院) get a template.
    let units: Vec<&Unit> = registry
        .active_in(args.year)
        .filter(|u| !u.kind.is_region())
        .collect();
    if units.is_empty() {
        return Err(crate::Error::Usage(format!(
            "单位名册 {} 中没有 {} 年应报的单位（请检查 active_from/active_to）",
            args.registry.display(),
            args.year
        )));
    }
    let prior = match &args.prior {
        None => None,
        Some(p) => Some(read_prior(p, &schema, &registry, args)?),
    };
    // The templates are one set, swapped in whole (see report::outset); the marker it leaves
    // also keeps a template folder inside the submissions folder from being read as returns.
    // A non-empty --out is replaced only with --force (and then only the tool's own files), and
    // never when it holds another kind or year of set.
    let set = crate::report::outset::OutputSet::prepare_unless_filled(
        &args.out,
        args.force,
        &format!("模板 {}", args.year),
    )?;
    let mut prefilled = 0;
    for unit in &units {
        let mut fill = TemplateFill {
            settings: settings.clone(),
            ..TemplateFill::default()
        };
        if let Some(records) = &prior {
            fill.prior = prior_values(&schema, unit, records, args.year - 1);
            if !fill.prior.is_empty() {
                prefilled += 1;
            }
        }
        let bytes = template::build(&schema, unit, args.year, &fill)?;
        crate::io::write_atomic(
            &set.dir().join(template::file_name(unit, args.year)),
            &bytes,
        )?;
    }
    for warning in set.commit()? {
        crate::hintln!("提示：{warning}");
    }
    let mut summary = format!("生成模板 {} 份 → {}", units.len(), args.out.display());
    if prior.is_some() {
        summary.push_str(&format!("（{prefilled} 个单位预填了上年数）"));
    }
    crate::console::line(&summary)?;
    Ok(Outcome::Clean)
}

/// Reads the prior-year data given with `--prior`: a history file, or last year's submission
/// folder (read and validated like `run` does; only accepted files count).
fn read_prior(
    path: &Path,
    schema: &Schema,
    registry: &Registry,
    args: &TemplateArgs,
) -> Result<Vec<Record>> {
    let loaded = crate::pipeline::batch::LoadedRegistry {
        registry: registry.clone(),
        display: args.registry.display().to_string(),
        settings: Default::default(),
    };
    let pool = crate::pipeline::batch::pool(None)?;
    crate::pipeline::batch::load_prior(path, schema, Some(&loaded), args.year, &pool)
}

/// 上年数 of `unit` for `prior_year`: its own value plus Σ weight × value of each registry
/// predecessor (a merged unit compares with the sum of what it absorbed). Yes/no indicators are
/// 是 when any contributing unit answered 是. Indicators nobody reported are left out.
pub fn prior_values(
    schema: &Schema,
    unit: &Unit,
    records: &[Record],
    prior_year: i32,
) -> BTreeMap<String, f64> {
    let mut weights: BTreeMap<&str, f64> = BTreeMap::new();
    weights.insert(unit.code.as_str(), 1.0);
    for (code, w) in &unit.predecessors {
        *weights.entry(code.as_str()).or_insert(0.0) += w;
    }
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for r in records.iter().filter(|r| r.year == prior_year) {
        let Some(w) = weights.get(&*r.unit) else {
            continue;
        };
        let yes_no = schema
            .indicator(&r.indicator)
            .is_some_and(|i| i.value_type == ValueType::YesNo);
        let entry = out.entry(r.indicator.to_string()).or_insert(0.0);
        if yes_no {
            *entry = entry.max(if r.value != 0.0 { 1.0 } else { 0.0 });
        } else {
            *entry += w * r.value;
        }
    }
    out
}
