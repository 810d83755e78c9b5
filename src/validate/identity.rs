//! V04/V05-style identity checks of the cover: the unit exists in the registry for the year, the
//! statistical year is the task year, the declared kind matches the registry, and the cover's
//! code agrees with the cover's unit name and with a unit code in the file name. A code typed
//! wrong on the cover would otherwise file the return under another unit and replace that
//! unit's own report as a "later version".

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location};
use crate::ingest::Submission;
use crate::registry::{squeeze, Registry, Unit, UnitKind};
use crate::schema::Schema;
use crate::sheets::CoverField;

/// Rule code for cover identity problems (domain V04).
const CODE: Code = Code::V04;

pub(super) fn check(
    sub: &Submission,
    file: &str,
    schema: &Schema,
    registry: Option<&Registry>,
    year: Option<i32>,
) -> Vec<Diagnostic> {
    let severity = schema.severity(CODE);
    let at = |field: CoverField| cover_location(sub, file, field);
    let mut out = Vec::new();
    let mut push = |loc: Location, msg: String| {
        out.push(Diagnostic::new(CODE, severity, loc, msg));
    };
    if let (Some(want), Some(got)) = (year, sub.cover.year) {
        if want != got {
            push(
                at(CoverField::Year),
                format!("统计年度为 {got}，本次汇总的是 {want} 年度，请核对是否报错了年度"),
            );
        }
    }
    let Some(registry) = registry else {
        return out;
    };
    let Some(code) = sub.cover.unit_code.as_deref() else {
        return out;
    };
    match registry.get(code) {
        None => push(
            at(CoverField::UnitCode),
            format!("单位代码“{code}”不在单位名册中，请核对代码是否填错"),
        ),
        Some(unit) => {
            if let Some(y) = year.or(sub.cover.year) {
                if !unit.active_in(y) {
                    push(
                        at(CoverField::UnitCode),
                        format!(
                            "单位“{}”（{code}）在名册中 {y} 年度不需报送（已撤并或尚未设立）",
                            unit.name
                        ),
                    );
                }
            }
            // One finding for one wrong code: the name says more than the file name.
            let conflict =
                name_conflict(sub, unit, registry).or_else(|| file_conflict(file, unit, registry));
            if let Some(msg) = conflict {
                push(at(CoverField::UnitCode), msg);
            }
            let declared = sub
                .cover
                .unit_kind
                .as_deref()
                .map(|k| (k, UnitKind::parse(k)));
            if let Some((text, parsed)) = declared {
                // 市本级 on a cover matches a roll-up's office, read as the county office whose
                // template it fills.
                if parsed.map(UnitKind::reporting_kind) != Some(unit.kind.reporting_kind()) {
                    push(
                        at(CoverField::UnitKind),
                        format!("单位类型填为“{text}”，名册中为“{}”", unit.kind.label()),
                    );
                }
            }
        }
    }
    out
}

/// The cover's unit name is another registry unit's name, not the name of the unit its code
/// names. A name that matches no unit (an abbreviation, a renamed office) is not a conflict.
fn name_conflict(sub: &Submission, unit: &Unit, registry: &Registry) -> Option<String> {
    let name = sub.cover.unit_name.as_deref()?;
    if squeeze(name).is_empty() || squeeze(name) == squeeze(&unit.name) {
        return None;
    }
    let others = registry.by_name(name);
    let other = pick_near(&others, &unit.code)?;
    if related(unit, other) {
        return None; // a merged unit's cover with its predecessor's name
    }
    Some(format!(
        "封面单位代码为“{}”，名册中该代码是“{}”；但封面单位名称填的是“{}”，名册中它的代码是“{}”。\
         代码与名称不一致，请核对封面的单位代码（本表暂不汇总）",
        unit.code, unit.name, name, other.code
    ))
}

/// The file name carries a registry unit code other than the cover's (`411321-D03_…xlsx`
/// with 411321-D04 on the cover).
fn file_conflict(file: &str, unit: &Unit, registry: &Registry) -> Option<String> {
    let stem = std::path::Path::new(file).file_stem()?.to_string_lossy();
    let named: Vec<&Unit> = stem
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter_map(|t| registry.get(t))
        .collect();
    if named.is_empty() || named.iter().any(|u| u.code == unit.code) {
        return None;
    }
    let other = named[0];
    if related(unit, other) {
        return None; // last year's file name of a merged unit's predecessor
    }
    Some(format!(
        "文件名中的单位代码是“{}”（{}），封面填的是“{}”（{}）：请核对封面的单位代码，\
         或确认是否发错了文件（本表暂不汇总）",
        other.code, other.name, unit.code, unit.name
    ))
}

/// Whether one unit continues the other (the registry's predecessors of a merger).
fn related(a: &Unit, b: &Unit) -> bool {
    a.predecessors.iter().any(|(c, _)| *c == b.code)
        || b.predecessors.iter().any(|(c, _)| *c == a.code)
}

/// Of several units with one name, the one whose code shares the longest prefix with `code`
/// (the same county first).
fn pick_near<'a>(units: &[&'a Unit], code: &str) -> Option<&'a Unit> {
    let common = |u: &Unit| {
        u.code
            .chars()
            .zip(code.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    units
        .iter()
        .copied()
        .filter(|u| u.code != code)
        .max_by_key(|u| (common(u), std::cmp::Reverse(u.code.clone())))
}

/// The cover cell of a field when the reader found it, else the cover sheet, else the file.
fn cover_location(sub: &Submission, file: &str, field: CoverField) -> Location {
    match sub.cover.cells.get(field.label()) {
        Some((sheet, pos)) => Location::cell(file, sheet.clone(), *pos),
        None => Location::file(file),
    }
}
