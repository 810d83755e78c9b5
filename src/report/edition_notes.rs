//! The 说明 sheet's rows about a change of indicator system: when last year's data was in the
//! previous edition and mapped (src/pipeline/prior.rs), the sheet names that edition, lists the
//! mapped, new and dropped indicators of this run (from the schema's declared mapping, as
//! `huizong schema diff` prints them) and the indicators and rates shown as 不可比, with why.

use crate::aggregate::Figures;
use crate::schema::{diff, Schema};

/// (项目, 内容) rows; none when the prior year was not mapped from another edition.
pub fn rows(schema: &Schema, fig: &Figures) -> Vec<(String, String)> {
    let mapped = fig.indicators.iter().any(|f| f.prior_mapping.is_some());
    let (Some(old), Some(mapping)) = (schema.previous(), schema.mapping.as_ref()) else {
        return Vec::new();
    };
    if !mapped {
        return Vec::new();
    }
    let mut rows = vec![(
        "上年指标体系".to_string(),
        format!(
            "上年数据按 {}（{}版）填报，已按本年指标体系写明的对应关系换算为本年的指标和单位后再比较（huizong schema diff {} {} 可列出全部变化）",
            old.id, old.edition, old.id, schema.id
        ),
    )];
    for g in diff::groups(old, schema, mapping) {
        rows.push((format!("指标变化：{}", g.label), g.lines.join("；")));
    }
    let not_comparable: Vec<String> = fig
        .indicators
        .iter()
        .filter_map(|f| {
            let why = f.not_comparable_reason.as_deref()?;
            Some(format!("{} {}（{why}）", f.code, f.name))
        })
        .chain(fig.rates.iter().filter_map(|r| {
            let why = r.not_comparable_reason.as_deref()?;
            Some(format!("{} {}（{why}）", r.code, r.name))
        }))
        .collect();
    if !not_comparable.is_empty() {
        rows.push((
            "不可比指标".to_string(),
            format!(
                "{}：上年没有可比的数，不计算同比，汇总表中上年数留空",
                not_comparable.join("；")
            ),
        ));
    }
    rows
}

/// The 备注 words of a figure without a comparable prior (`不可比（新增指标）`), for the sheets
/// that list indicators with their YoY: where they now say 无上年数, this says why.
pub fn not_comparable_remark(f: &crate::aggregate::IndicatorFigure) -> Option<String> {
    f.not_comparable_reason
        .as_deref()
        .map(|why| format!("不可比（{why}）"))
}
