//! The draft as Markdown: a title, the coverage note, one `##` heading per section, paragraphs,
//! and the list of sentences that were left out.

use std::fmt::Write as _;

use super::{Draft, Omitted, UnverifiedFigure};

/// Chinese ordinals for section headings (一、二、…).
pub const ORDINALS: [&str; 12] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
];

/// The heading of the `index`-th (0-based) section: "一、行政复议".
pub fn heading(index: usize, title: &str) -> String {
    match ORDINALS.get(index) {
        Some(o) => format!("{o}、{title}"),
        None => title.to_string(),
    }
}

/// The title of the omitted-sentences list.
pub const OMITTED_TITLE: &str = "未生成的句子";

/// One line of the omitted list: "行政复议：行政复议收案同比（上年缺失：FY02）".
pub fn omitted_line(o: &Omitted) -> String {
    format!(
        "{}：{}（{}：{}）",
        o.section,
        o.sentence,
        o.reason.label(),
        o.codes.join("、")
    )
}

/// The title of the list of figures that include unverified values.
pub const UNVERIFIED_TITLE: &str = "含待核实数据的数字";

/// How many units a line of that list names before "等N个单位".
const UNITS_NAMED: usize = 10;

/// One line of that list: "行政执法：罚没金额（ZF07）含县交通运输局（411321-D05）、…尚未核实的数值".
pub fn unverified_line(u: &UnverifiedFigure) -> String {
    let names: Vec<String> = u
        .units
        .iter()
        .take(UNITS_NAMED)
        .map(|(code, name)| match name.as_str() {
            "" => code.clone(),
            n => format!("{n}（{code}）"),
        })
        .collect();
    let more = match u.units.len() {
        n if n > UNITS_NAMED => format!("等{n}个单位"),
        _ => String::new(),
    };
    format!(
        "{}：{}（{}）含{}{more}尚未核实的数值",
        u.section,
        u.name,
        u.code,
        names.join("、")
    )
}

/// Renders the draft as Markdown.
pub fn render(draft: &Draft) -> String {
    let mut s = format!("# {}\n\n", draft.title());
    if let Some(note) = &draft.note {
        let _ = write!(s, "{note}\n\n");
    }
    for (i, section) in draft.sections.iter().enumerate() {
        let _ = write!(s, "## {}\n\n", heading(i, &section.title));
        for p in &section.paragraphs {
            let _ = write!(s, "{p}\n\n");
        }
    }
    if !draft.unverified.is_empty() {
        let _ = write!(s, "## {UNVERIFIED_TITLE}\n\n");
        for u in &draft.unverified {
            let _ = writeln!(s, "- {}", unverified_line(u));
        }
        s.push('\n');
    }
    if !draft.omitted.is_empty() {
        let _ = write!(s, "## {OMITTED_TITLE}\n\n");
        for o in &draft.omitted {
            let _ = writeln!(s, "- {}", omitted_line(o));
        }
        s.push('\n');
    }
    s
}
