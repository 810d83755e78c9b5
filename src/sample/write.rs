//! Writing the sample county to disk: `units.csv` and one workbook per file, built in parallel
//! (each workbook depends only on its own data, so the bytes do not depend on scheduling).

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

use super::rng::Rng;
use super::{SampleCounty, UnitData};
use crate::io::write_atomic;
use crate::registry::Unit;
use crate::report::template::{self, CellInput, TemplateFill};
use crate::schema::{Schema, ValueType};
use crate::Result;

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: [&str; 16] = [
    "伟", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
    "平",
];

/// A plausible Chinese name from the unit's stream.
fn person(rng: &mut Rng) -> String {
    let s = SURNAMES
        .get(rng.int(0, 15) as usize)
        .copied()
        .unwrap_or("王");
    let g = GIVEN.get(rng.int(0, 15) as usize).copied().unwrap_or("伟");
    format!("{s}{g}")
}

/// The workbook contents for one file: what the unit typed, 上年数, 说明 and the cover contacts.
pub fn fill(schema: &Schema, unit: &Unit, data: &UnitData, seed: u64) -> TemplateFill {
    let mut current = BTreeMap::new();
    for ind in &schema.indicators {
        if let Some(t) = data.typed.get(&ind.code) {
            current.insert(ind.code.clone(), CellInput::Text(t.clone()));
            continue;
        }
        let Some(v) = data.values.get(&ind.code).copied() else {
            continue;
        };
        let cell = match ind.value_type {
            ValueType::YesNo => CellInput::Text(if v >= 1.0 { "是" } else { "否" }.to_string()),
            _ => CellInput::Number(v),
        };
        current.insert(ind.code.clone(), cell);
    }
    let mut rng = Rng::new(seed, &format!("{}#cover", unit.code), 0);
    TemplateFill {
        current,
        prior: data.prior.clone(),
        notes: data.notes.clone(),
        filler: Some(person(&mut rng)),
        phone: Some(format!("0377-6{:06}", rng.int(100_000, 999_999))),
        head: Some(person(&mut rng)),
        cover_code: None,
        cutoff_date: None,
        settings: Default::default(),
    }
}

/// Writes `units.csv` and every workbook under `dir`; returns the number of workbooks.
pub fn write(schema: &Schema, county: &SampleCounty, seed: u64, dir: &Path) -> Result<usize> {
    write_with(&|_| schema, county, seed, dir)
}

/// [`write`] with each year's workbooks made from the schema `schema_of` gives that year (a
/// county whose earlier years are in the previous edition, [`super::edition`]).
pub fn write_with<'s>(
    schema_of: &(dyn Fn(i32) -> &'s Schema + Sync),
    county: &SampleCounty,
    seed: u64,
    dir: &Path,
) -> Result<usize> {
    write_atomic(&dir.join("units.csv"), county.registry.to_csv().as_bytes())?;
    let index: BTreeMap<&str, &Unit> = county
        .registry
        .units
        .iter()
        .map(|u| (u.code.as_str(), u))
        .collect();
    let jobs: Vec<(i32, &UnitData, &Unit, &str)> = county
        .years
        .iter()
        .flat_map(|(year, files)| files.iter().map(move |f| (*year, f)))
        .filter_map(|(year, f)| {
            let unit = index.get(f.code.as_str())?;
            Some((year, f, *unit, f.file_name.as_deref()?))
        })
        .collect();
    jobs.par_iter()
        .map(|(year, data, unit, name)| {
            let schema = schema_of(*year);
            let bytes = template::build(schema, unit, *year, &fill(schema, unit, data, seed))?;
            write_atomic(&dir.join(year.to_string()).join(name), &bytes)
        })
        .collect::<Result<Vec<()>>>()?;
    Ok(jobs.len())
}
