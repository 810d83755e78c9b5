//! V04/V05-style identity checks of the cover: the unit exists in the registry for the year, the
//! statistical year is the task year, and the declared kind matches the registry.

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location};
use crate::ingest::Submission;
use crate::registry::{Registry, UnitKind};
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

/// The cover cell of a field when the reader found it, else the cover sheet, else the file.
fn cover_location(sub: &Submission, file: &str, field: CoverField) -> Location {
    match sub.cover.cells.get(field.label()) {
        Some((sheet, pos)) => Location::cell(file, sheet.clone(), *pos),
        None => Location::file(file),
    }
}
