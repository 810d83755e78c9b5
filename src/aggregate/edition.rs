//! 不可比: after a change of indicator system between the years (last year read in the
//! previous edition and mapped, src/pipeline/prior.rs), the figures of indicators without a
//! comparable prior — new ones, and parts of a split without shares — and the rates built on
//! them lose their prior and change and say why (`comparable`, `not_comparable_reason`); the
//! others say how their prior was obtained (`prior_mapping`: renamed, merged, unit factor).

use super::{Figures, IndicatorFigure, RateFigure};
use crate::schema::edition::{Link, Origin};
use crate::schema::Schema;

/// Marks `figures` of a run whose prior year was `mapped` from `schema`'s previous edition;
/// does nothing otherwise.
pub fn mark_editions(figures: &mut Figures, schema: &Schema, mapped: bool) {
    let Some(mapping) = schema.mapping.as_ref().filter(|_| mapped) else {
        return;
    };
    for f in &mut figures.indicators {
        let Some(link) = mapping.link(&f.code) else {
            continue;
        };
        f.prior_mapping = describe(link);
        if let Some(reason) = link.not_comparable() {
            not_comparable(f, reason);
        }
    }
    for r in &mut figures.rates {
        let Some(rate) = schema.rates.iter().find(|x| x.code == r.code) else {
            continue;
        };
        let mut codes = rate.numerator.codes();
        codes.extend(rate.denominator.codes());
        let reason = codes
            .iter()
            .filter_map(|c| mapping.link(c)?.not_comparable())
            .next();
        if let Some(reason) = reason {
            rate_not_comparable(r, reason);
        }
    }
}

fn not_comparable(f: &mut IndicatorFigure, reason: &str) {
    f.comparable = false;
    f.not_comparable_reason = Some(reason.to_string());
    f.prior = None;
    f.prior_reported = None;
    f.prior_excluded.clear();
    f.change = None;
    f.change_pct = None;
}

pub(super) fn rate_not_comparable(r: &mut RateFigure, reason: &str) {
    r.comparable = false;
    r.not_comparable_reason = Some(reason.to_string());
    r.prior_numerator = None;
    r.prior_denominator = None;
    r.prior_value = None;
    r.prior_reported_numerator = None;
    r.prior_reported_denominator = None;
    r.prior_reported = None;
    r.change_pp = None;
}

/// The start of `prior_mapping` of an indicator renamed from `from`: the draft finds a renamed
/// indicator by its old code with it (draft templates written for the previous edition).
pub fn renamed_note(from: &str) -> String {
    format!("上年为 {from}（改代码）")
}

/// How the prior of `link` was obtained, in words; `None` when it is the same code unchanged.
fn describe(link: &Link) -> Option<String> {
    let how = match &link.origin {
        Origin::Same => None,
        Origin::Renamed(from) => Some(renamed_note(from)),
        Origin::Split { from, share: None } => {
            Some(format!("由上年 {from} 拆分，未给出比例，上年数不可比"))
        }
        Origin::Split {
            from,
            share: Some(s),
        } => Some(format!(
            "由上年 {from} 拆分，上年数按 {}% 分摊",
            super::history::format_value(s * 100.0)
        )),
        Origin::Merged(parts) => Some(format!("上年为 {} 之和（合并）", parts.join(" + "))),
        Origin::New => Some("本版新增，上年没有此项".to_string()),
    };
    let factor = link
        .factor
        .map(|f| format!("上年数 × {}（改单位）", super::history::format_value(f)));
    match (how, factor) {
        (Some(a), Some(b)) => Some(format!("{a}；{b}")),
        (a, b) => a.or(b),
    }
}
