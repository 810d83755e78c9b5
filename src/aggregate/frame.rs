//! The polars part of aggregation: one long frame (indicator, kind, value) grouped by
//! (indicator, kind). County totals are then combined from these subtotals in plain Rust,
//! because how a total is formed depends on the indicator's [`crate::schema::Aggregation`].

use std::collections::BTreeMap;

use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::units::UnitValues;
use crate::registry::UnitKind;
use crate::Result;

/// Kinds in a group key (`indicator × KINDS + kind`).
const KINDS: u32 = UnitKind::ALL.len() as u32;

/// Sums of one (indicator, kind) group.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct GroupSum {
    /// Σ value.
    pub value: f64,
    /// Units with a value.
    pub units: u32,
    /// Units whose value counts as 是 (see [`group_sums`]), for yes/no indicators.
    pub yes: u32,
}

/// (indicator, kind) → sums, ordered by indicator code then kind.
pub(crate) type Groups = BTreeMap<(String, UnitKind), GroupSum>;

/// A yes/no answer of this year: 1 is 是.
pub(crate) fn is_yes(v: f64) -> bool {
    v == 1.0
}

/// A yes/no answer of last year mapped onto this year's unit (Σ weight × answer of its
/// predecessors): 是 when any predecessor answered 是.
pub(crate) fn any_yes(v: f64) -> bool {
    v != 0.0
}

/// The groups of two disjoint sets of units together: sums and counts added group by group
/// (`b` empty gives `a` unchanged, bit for bit).
pub(crate) fn merge(mut a: Groups, b: &Groups) -> Groups {
    for (key, g) in b {
        let sum = a.entry(key.clone()).or_default();
        sum.value += g.value;
        sum.units += g.units;
        sum.yes += g.yes;
    }
    a
}

/// Groups the applicable values of `units` by (indicator, kind).
///
/// The key goes into the frame as one small integer, `indicator × KINDS + kind` (an indicator's
/// position among the codes seen, the kind's position in [`UnitKind::ALL`]), rather than as two
/// string columns: grouping a million rows by strings spent most of its time encoding and
/// hashing them, and one integer column takes polars' plain integer path.
///
/// `yes` says which values count as 是: this year's are 1 ([`is_yes`]); last year's, mapped
/// through predecessors, are a sum of 0/1 answers, and count as 是 when any predecessor said 是
/// ([`any_yes`], the rule the template's 上年数 column follows too).
pub(crate) fn group_sums<'a>(
    units: impl IntoIterator<Item = &'a UnitValues>,
    yes: fn(f64) -> bool,
) -> Result<Groups> {
    let mut codes: Vec<&str> = Vec::new();
    let mut code_ix: FxHashMap<&str, u32> = FxHashMap::default();
    let is = yes;
    let (mut keys, mut vals, mut yes) = (vec![], vec![], vec![]);
    for u in units {
        let kind = UnitKind::ALL.iter().position(|k| *k == u.kind).unwrap_or(0) as u32;
        for (code, v) in &u.values {
            let ix = *code_ix.entry(code.as_str()).or_insert_with(|| {
                codes.push(code.as_str());
                (codes.len() - 1) as u32
            });
            keys.push(ix * KINDS + kind);
            vals.push(*v);
            yes.push(if is(*v) { 1.0 } else { 0.0 });
        }
    }
    if keys.is_empty() {
        return Ok(Groups::new());
    }
    let ones = vec![1.0; keys.len()];
    let df = DataFrame::new_infer_height(vec![
        Column::new("key".into(), keys),
        Column::new("value".into(), vals),
        Column::new("yes".into(), yes),
        Column::new("one".into(), ones),
    ])
    .map_err(polars_error)?;
    let out = df
        .lazy()
        .group_by([col("key")])
        .agg([
            col("value").sum().alias("value"),
            col("one").sum().alias("units"),
            col("yes").sum().alias("yes"),
        ])
        .collect()
        .map_err(polars_error)?;
    // group_by order is not stable; the BTreeMap below fixes the order.
    read_groups(&out, &codes).map_err(polars_error)
}

fn read_groups(df: &DataFrame, codes: &[&str]) -> PolarsResult<Groups> {
    let keys = df.column("key")?.u32()?;
    let vals = df.column("value")?.f64()?;
    let units = df.column("units")?.f64()?;
    let yes = df.column("yes")?.f64()?;
    let mut groups = Groups::new();
    let rows = keys
        .iter()
        .zip(vals.iter())
        .zip(units.iter())
        .zip(yes.iter());
    for (((key, v), n), y) in rows {
        let code = key.and_then(|k| codes.get((k / KINDS) as usize));
        let kind = key.and_then(|k| UnitKind::ALL.get((k % KINDS) as usize));
        let (Some(code), Some(kind)) = (code, kind) else {
            continue;
        };
        let sum = GroupSum {
            value: v.unwrap_or(0.0),
            units: count(n),
            yes: count(y),
        };
        groups.insert((code.to_string(), *kind), sum);
    }
    Ok(groups)
}

/// A sum of ones back to a count (exact: small integers are exact in f64).
fn count(v: Option<f64>) -> u32 {
    v.map_or(0, |x| x.round().max(0.0) as u32)
}

fn polars_error(e: PolarsError) -> crate::Error {
    crate::Error::Other(format!("汇总计算失败（polars）：{e}"))
}
