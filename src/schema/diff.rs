//! What changed between two editions, in Chinese: `huizong schema diff OLD NEW` prints it, and
//! the summary's 说明 sheet lists it for a run whose prior year was in the previous edition.
//! The changes come from the newer edition's declared mapping ([`super::edition::Mapping`]),
//! plus the names that changed under an unchanged code.

use super::edition::{Mapping, Origin};
use super::{Indicator, Schema};

/// One group of changes: its label (改名, 拆分 …) and one line per indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub label: &'static str,
    pub lines: Vec<String>,
}

fn named(ind: Option<&Indicator>, code: &str) -> String {
    match ind {
        Some(i) => format!("{code} {}", i.name),
        None => code.to_string(),
    }
}

/// The changes from `old` to `new` along `mapping` (new's), grouped in a fixed order; empty
/// groups left out.
pub fn groups(old: &Schema, new: &Schema, mapping: &Mapping) -> Vec<Group> {
    let mut renamed = Vec::new();
    let mut split = Vec::new();
    let mut merged = Vec::new();
    let mut unit = Vec::new();
    let mut added = Vec::new();
    let mut retitled = Vec::new();
    let mut split_done: Vec<&str> = Vec::new();
    for link in &mapping.links {
        let now = new.indicator(&link.code);
        let here = named(now, &link.code);
        match &link.origin {
            Origin::Same => {
                if let (Some(a), Some(b)) = (old.indicator(&link.code), now) {
                    if a.name != b.name {
                        retitled.push(format!("{}：“{}” → “{}”", link.code, a.name, b.name));
                    }
                }
            }
            Origin::Renamed(from) => {
                renamed.push(format!("{} → {here}", named(old.indicator(from), from)));
            }
            Origin::Split { from, .. } => {
                if split_done.contains(&from.as_str()) {
                    continue;
                }
                split_done.push(from);
                let parts: Vec<_> = mapping
                    .links
                    .iter()
                    .filter(|l| matches!(&l.origin, Origin::Split { from: f, .. } if f == from))
                    .collect();
                let shown: Vec<String> = parts
                    .iter()
                    .map(|l| {
                        let name = named(new.indicator(&l.code), &l.code);
                        match l.origin {
                            Origin::Split { share: Some(s), .. } => {
                                format!(
                                    "{name}（占 {}%）",
                                    crate::aggregate::history::format_value(s * 100.0)
                                )
                            }
                            _ => name,
                        }
                    })
                    .collect();
                let how = if parts.iter().any(|l| l.not_comparable().is_some()) {
                    "未给出比例，上年数不可比"
                } else {
                    "上年数按比例分摊"
                };
                split.push(format!(
                    "{} → {}（{how}）",
                    named(old.indicator(from), from),
                    shown.join("、")
                ));
            }
            Origin::Merged(parts) => {
                let shown: Vec<String> = parts.iter().map(|p| named(old.indicator(p), p)).collect();
                merged.push(format!("{} → {here}（上年数相加）", shown.join(" + ")));
            }
            Origin::New => added.push(here.clone()),
        }
        if let (Some(f), Some(b)) = (link.factor, now) {
            let before: Vec<&str> = link
                .sources()
                .into_iter()
                .filter_map(|c| old.indicator(c).map(|i| i.unit.as_str()))
                .collect();
            let from = before.first().copied().unwrap_or("");
            unit.push(format!(
                "{here}：{from} → {}（上年数 × {}）",
                b.unit,
                crate::aggregate::history::format_value(f)
            ));
        }
    }
    let dropped: Vec<String> = mapping
        .dropped
        .iter()
        .map(|c| named(old.indicator(c), c))
        .collect();
    [
        ("改代码", renamed),
        ("拆分", split),
        ("合并", merged),
        ("改单位", unit),
        ("新增", added),
        ("删除", dropped),
        ("改名称（代码不变）", retitled),
    ]
    .into_iter()
    .filter(|(_, lines)| !lines.is_empty())
    .map(|(label, lines)| Group { label, lines })
    .collect()
}

/// The text `huizong schema diff` prints.
pub fn render(old: &Schema, new: &Schema, mapping: &Mapping) -> String {
    let mut out = format!(
        "指标体系 {}（{} 年版，{} 项指标）→ {}（{} 年版，{} 项指标）\n",
        old.id,
        old.edition,
        old.indicators.len(),
        new.id,
        new.edition,
        new.indicators.len()
    );
    let groups = groups(old, new, mapping);
    let mut changed = 0usize;
    for g in &groups {
        out.push_str(&format!("\n{} {} 项：\n", g.label, g.lines.len()));
        for line in &g.lines {
            out.push_str(&format!("  {line}\n"));
        }
        changed += g.lines.len();
    }
    let same = mapping
        .links
        .iter()
        .filter(|l| {
            l.origin == Origin::Same
                && l.factor.is_none()
                && old.indicator(&l.code).map(|i| &i.name)
                    == new.indicator(&l.code).map(|i| &i.name)
        })
        .count();
    if changed == 0 {
        out.push_str("\n两版指标没有变化。\n");
    }
    out.push_str(&format!(
        "\n其余 {same} 项指标代码、名称、单位不变，上年数直接比较。\n"
    ));
    out
}
