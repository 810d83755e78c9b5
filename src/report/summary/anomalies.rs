//! The 异常提示 sheet: one row per entry (a unit's problem, [`crate::anomaly::entry`]), in
//! ranked order, so one bad return takes one row however many of its cells moved. The entry's
//! main line gives the cells, values, interval and statistic; its other lines are listed in the
//! 说明 column as 同一问题还涉及…. Rates carry their name and show as percentages; a finding
//! about the whole sheet (copied year, identical returns, heaping) names 整张报表 instead of an
//! indicator; the score is rounded to three decimals.

use rust_xlsxwriter::{ColNum, Worksheet};

use super::lists::{severity_format, status_text};
use super::{fmt_num, AnomalyRow, SummaryInput};
use crate::report::styles::{Sheet, Styles};
use crate::schema::ValueType;
use crate::Result;

const HEADERS: [&str; 13] = [
    "排名",
    "级别",
    "单位",
    "指标",
    "位置",
    "本年",
    "上年",
    "预期区间",
    "统计量",
    "得分",
    "说明",
    "核实状态",
    "单位说明",
];

/// Other lines named in one entry's 说明 before "等N项".
const MAX_OTHERS: usize = 8;

/// The rows grouped by entry (rows without an entry number stand alone), entry order.
fn grouped(rows: &[AnomalyRow]) -> Vec<Vec<&AnomalyRow>> {
    let mut sorted: Vec<&AnomalyRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        (a.entry, a.rank, &a.unit, &a.indicator, &a.location).cmp(&(
            b.entry,
            b.rank,
            &b.unit,
            &b.indicator,
            &b.location,
        ))
    });
    let mut out: Vec<Vec<&AnomalyRow>> = Vec::new();
    for r in sorted {
        match out.last_mut() {
            Some(g) if r.entry != 0 && g[0].entry == r.entry => g.push(r),
            _ => out.push(vec![r]),
        }
    }
    out
}

/// `代码 名称` of an indicator or rate; 整张报表 for a finding about the whole sheet.
fn label(input: &SummaryInput, a: &AnomalyRow) -> String {
    if a.indicator.is_empty() {
        return "整张报表".to_string();
    }
    if let Some(r) = input.schema.rates.iter().find(|r| r.code == a.indicator) {
        return format!("{} {}", r.code, r.name);
    }
    if a.indicator_name.is_empty() {
        a.indicator.clone()
    } else {
        format!("{} {}", a.indicator, a.indicator_name)
    }
}

/// Whether the row's values are a rate shown as a percentage.
fn is_percent(input: &SummaryInput, a: &AnomalyRow) -> bool {
    input
        .schema
        .rates
        .iter()
        .any(|r| r.code == a.indicator && r.unit.is_none())
}

/// The 说明 cell: the main line's message, then the entry's other lines.
fn message(input: &SummaryInput, group: &[&AnomalyRow]) -> String {
    let mut m = group[0].message.clone();
    let others: Vec<String> = group[1..]
        .iter()
        .map(|a| {
            let name = label(input, a);
            match (a.value, a.prior) {
                (Some(v), Some(p)) if !is_percent(input, a) => {
                    format!("{name}（本年{}，上年{}）", fmt_num(v), fmt_num(p))
                }
                _ => name,
            }
        })
        .collect();
    if !others.is_empty() {
        let shown = others.len().min(MAX_OTHERS);
        m.push_str("；同一问题还涉及：");
        m.push_str(&others[..shown].join("、"));
        if others.len() > shown {
            m.push_str(&format!("等{}项", others.len()));
        }
    }
    m
}

/// Builds the 异常提示 sheet, one row per entry.
pub(super) fn anomalies_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new("异常提示")?;
    sh.header(0, &HEADERS, &st.header)?;
    let mut row = 1;
    for (i, group) in grouped(input.anomalies).iter().enumerate() {
        let a = group[0];
        let num = if is_percent(input, a) {
            st.pct(1)
        } else {
            match input.schema.indicator(&a.indicator).map(|i| i.value_type) {
                Some(ValueType::Amount) => st.amount.clone(),
                _ => st.decimal_or_count(a.value, a.prior),
            }
        };
        let num = &num;
        let rank = if a.entry == 0 { a.rank } else { i as u32 + 1 };
        sh.number(row, 0, Some(f64::from(rank)), &st.count)?;
        sh.text(row, 1, a.severity.label(), &severity_format(st, a.severity))?;
        let who = if a.unit_name == a.unit {
            a.unit.clone()
        } else {
            format!("{}（{}）", a.unit_name, a.unit)
        };
        sh.text(row, 2, &who, &st.text)?;
        sh.text(row, 3, &label(input, a), &st.text)?;
        sh.text(row, 4, &a.location, &st.text)?;
        sh.number(row, 5, a.value, num)?;
        sh.number(row, 6, a.prior, num)?;
        let expected = a
            .expected
            .map(|(lo, hi)| {
                if is_percent(input, a) {
                    format!("{:.1}% ~ {:.1}%", lo * 100.0, hi * 100.0)
                } else {
                    format!("{} ~ {}", fmt_num(lo), fmt_num(hi))
                }
            })
            .unwrap_or_default();
        sh.text(row, 7, &expected, &st.text)?;
        sh.text(row, 8, &a.statistic, &st.text)?;
        let score: f64 = group.iter().map(|g| g.score).sum();
        sh.number(row, 9, Some((score * 1000.0).round() / 1000.0), &st.decimal)?;
        sh.text(row, 10, &message(input, group), &st.text)?;
        sh.text(row, 11, &status_text(a), &st.text)?;
        let notes: Vec<&str> =
            group
                .iter()
                .filter_map(|g| g.explanation.as_deref())
                .fold(Vec::new(), |mut v, e| {
                    if !v.contains(&e) {
                        v.push(e);
                    }
                    v
                });
        sh.text(row, 12, &notes.join("；"), &st.text)?;
        row += 1;
    }
    sh.print_readably(3);
    sh.finish(1, row - 1, (HEADERS.len() - 1) as ColNum)
}
