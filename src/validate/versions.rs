//! Versions of one unit's return: a corrected workbook sent beside the original replaces it
//! without anyone moving files. Which version is later is decided from what the files carry,
//! never from file-system times (downloading an attachment resets them):
//!
//! 1. a version mark in the file name ([`mark`]): 修改 / 更正 / 修订 (with a count: 修改2,
//!    第二次修改), 第N版 / vN, 终稿 / 最终 / 定稿; a name without a mark is the first version;
//! 2. between equal marks, the workbook's own saved time (`docProps/core.xml`,
//!    [`crate::ingest::props`]), when every one of them carries one and the latest is unique.
//!
//! A mark that contradicts the saved times (the version marked later was saved more than a day
//! before the one it would replace: more than any time-zone confusion between writers) decides
//! nothing. When nothing decides, every version stays held back (S10) with a message saying how
//! to mark the final one. The adopted version is aggregated as usual; each replaced one gets an
//! S14 hint and its own reading is dropped (it is neither aggregated nor sent back). The cells
//! that differ between the adopted version and the one before it are kept ([`Change`]) for the
//! 报送情况 sheet, the 版本变化 sheet and the unit's 退回 workbook.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Pos;
use crate::ingest::props::SavedAt;
use crate::ingest::{FileOutcome, Submission, Value};

/// The rank of a file without a version mark.
const FIRST: u32 = 1;
/// The rank of 终稿 / 最终 / 定稿: after every numbered version.
const FINAL: u32 = 1000;
/// How much earlier (seconds) a version marked later may say it was saved before it counts as
/// a contradiction: a day covers any writer that stores local time as UTC or the reverse.
const CLOCK_SLACK: i64 = 86_400;

/// What a file name says about its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// 1 = no mark (the first version); higher = later; 0 = marked as earlier (修改前, 原稿).
    pub rank: u32,
    /// The words that gave the rank, as written (`修改`, `v2`, `终稿`).
    pub text: Option<String>,
}

/// Words that mark a corrected version; with a count they give `1 + count`.
const REVISED: [&str; 4] = ["修改", "更正", "修订", "补正"];
/// Words that mark the final version.
const FINAL_WORDS: [&str; 4] = ["终稿", "最终", "定稿", "最新"];
/// Words that mark a version before the corrected one: `报表(修改前).xlsx` is the original
/// kept beside the correction, not a correction. They rank below an unmarked name.
const EARLIER_WORDS: [&str; 8] = [
    "修改前",
    "更正前",
    "修订前",
    "补正前",
    "未修改",
    "原稿",
    "旧版",
    "作废",
];
/// Rank of a name marked as an earlier version.
const EARLIER: u32 = 0;

/// The version mark in a file name (the stem of `display`'s last component).
pub fn mark(display: &str) -> Mark {
    let stem = std::path::Path::new(display)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut best = Mark {
        rank: FIRST,
        text: None,
    };
    let mut offer = |rank: u32, text: &str| {
        if rank > best.rank {
            best = Mark {
                rank,
                text: Some(text.to_string()),
            };
        }
    };
    for w in FINAL_WORDS {
        if stem.contains(w) {
            offer(FINAL, w);
        }
    }
    let chars: Vec<char> = stem.chars().collect();
    for w in REVISED {
        for (at, _) in stem.match_indices(w) {
            let (head, tail) = (&stem[..at], &stem[at + w.len()..]);
            if tail.starts_with('前') || head.ends_with('未') {
                continue; // 修改前 / 未修改: see EARLIER_WORDS
            }
            let before = stem[..at].chars().count();
            let after = before + w.chars().count();
            // 修改2 / 修改（2） / 第二次修改 / 二次修改: the count of corrections.
            let count = number_at(&chars, after)
                .map(|(n, _)| n)
                .or_else(|| count_before(&chars, before))
                .unwrap_or(1);
            offer(1 + count.min(FINAL - 2), w);
        }
    }
    // 第2版 / 第二版.
    for (i, c) in chars.iter().enumerate() {
        if *c == '第' {
            if let Some((n, end)) = number_at(&chars, i + 1) {
                if chars.get(end) == Some(&'版') {
                    let text: String = chars[i..=end].iter().collect();
                    offer(n.min(FINAL - 1), &text);
                }
            }
        }
    }
    // v2 / V3, not inside a word ("dev2").
    for (i, c) in chars.iter().enumerate() {
        if matches!(c, 'v' | 'V') && (i == 0 || !chars[i - 1].is_ascii_alphabetic()) {
            if let Some((n, end)) = ascii_number_at(&chars, i + 1) {
                let text: String = chars[i..end].iter().collect();
                offer(n.min(FINAL - 1), &text);
            }
        }
    }
    if best.text.is_none() {
        if let Some(w) = EARLIER_WORDS.iter().find(|w| stem.contains(*w)) {
            best = Mark {
                rank: EARLIER,
                text: Some(w.to_string()),
            };
        }
    }
    best
}

/// The file name with a 修改 mark before the extension: what to rename the final version to.
pub fn suggested_name(display: &str) -> String {
    let path = std::path::Path::new(display);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match path.extension() {
        Some(ext) => format!("{stem}(修改).{}", ext.to_string_lossy()),
        None => format!("{stem}(修改)"),
    }
}

/// A count written after a mark: `2`, `（2）`, `(2)`, `二`.
fn number_at(chars: &[char], at: usize) -> Option<(u32, usize)> {
    let open = matches!(chars.get(at), Some('(' | '（'));
    let start = at + usize::from(open);
    let (n, end) = ascii_number_at(chars, start).or_else(|| chinese_number_at(chars, start))?;
    if open {
        return matches!(chars.get(end), Some(')' | '）')).then_some((n, end + 1));
    }
    Some((n, end))
}

/// `第二次` / `二次` / `2次` right before a mark.
fn count_before(chars: &[char], at: usize) -> Option<u32> {
    if at == 0 || chars[at - 1] != '次' {
        return None;
    }
    let mut start = at - 1;
    while start > 0
        && (chars[start - 1].is_ascii_digit() || chinese_digit(chars[start - 1]).is_some())
    {
        start -= 1;
    }
    ascii_number_at(chars, start)
        .or_else(|| chinese_number_at(chars, start))
        .filter(|(_, end)| *end == at - 1)
        .map(|(n, _)| n)
}

fn ascii_number_at(chars: &[char], at: usize) -> Option<(u32, usize)> {
    let digits = chars
        .get(at..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let text: String = chars[at..at + digits].iter().collect();
    Some((text.parse().ok()?, at + digits))
}

fn chinese_digit(c: char) -> Option<u32> {
    "零一二三四五六七八九十"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u32)
}

/// 一 … 九十九 (enough for version counts).
fn chinese_number_at(chars: &[char], at: usize) -> Option<(u32, usize)> {
    let digits: Vec<u32> = chars
        .get(at..)?
        .iter()
        .map_while(|c| chinese_digit(*c))
        .take(3)
        .collect();
    let n = match digits.as_slice() {
        [] => return None,
        [10] => 10,
        [10, u] => 10 + u,
        [t, 10] => t * 10,
        [t, 10, u] => t * 10 + u,
        [d] => *d,
        [d, ..] => *d,
    };
    let used = match digits.as_slice() {
        [_, 10, _] => 3,
        [10, _] | [_, 10] => 2,
        _ => 1,
    };
    (n > 0).then_some((n, at + used))
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// 采用: aggregated (or sent back) as the unit's return.
    Adopted,
    /// 已被替代: a later version replaces it.
    Superseded,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Adopted => "采用",
            Role::Superseded => "已被替代",
        }
    }
}

/// One cell that differs between the previous version and the adopted one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub indicator: String,
    /// `数值` or `说明`.
    pub field: String,
    /// Sheet and cell of the value in the adopted version (the previous one's when the row is
    /// gone).
    pub sheet: String,
    pub pos: Pos,
    /// As shown: a number, `空`, `不适用`, or the 说明 text.
    pub before: String,
    pub after: String,
}

/// A file's place among its unit's versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub role: Role,
    /// Adopted: the versions it replaces, latest first. Superseded: the adopted file.
    pub others: Vec<String>,
    /// How the order was decided, in words for the 报送情况 sheet.
    pub basis: String,
    /// Adopted: the version compared with (the latest of the replaced ones).
    pub previous: Option<String>,
    /// Adopted: what changed since `previous`, in row order.
    pub changes: Vec<Change>,
}

/// A candidate version: its outcome index, name mark and saved time.
struct Candidate {
    index: usize,
    mark: Mark,
    saved: Option<SavedAt>,
}

/// The order of one unit's differing files (indices into `outcomes`): the adopted one first,
/// then the replaced ones latest first, with the basis in words; or why no order could be
/// decided (for the S10 message).
pub fn order(outcomes: &[FileOutcome], files: &[usize]) -> Result<(Vec<usize>, String), String> {
    let mut c: Vec<Candidate> = files
        .iter()
        .map(|&index| Candidate {
            index,
            mark: mark(&outcomes[index].display),
            saved: outcomes[index].submission.as_ref().and_then(|s| s.saved),
        })
        .collect();
    let top = c.iter().map(|x| x.mark.rank).max().unwrap_or(FIRST);
    let leaders: Vec<&Candidate> = c.iter().filter(|x| x.mark.rank == top).collect();
    let name = |i: usize| outcomes[i].display.as_str();
    let (winner, basis) = if leaders.len() == 1 {
        let w = leaders[0];
        let basis = match &w.mark.text {
            Some(text) => format!("文件名标有“{text}”"),
            // Unmarked, and the others are marked as earlier (修改前, 原稿 …).
            None => {
                let earlier: Vec<String> = c
                    .iter()
                    .filter_map(|x| x.mark.text.as_ref().map(|t| format!("“{t}”")))
                    .collect();
                format!("其他文件名标有{}", earlier.join("、"))
            }
        };
        (w.index, basis)
    } else {
        let times: Option<Vec<SavedAt>> = leaders.iter().map(|x| x.saved).collect();
        let Some(times) = times else {
            let without: Vec<&str> = leaders
                .iter()
                .filter(|x| x.saved.is_none())
                .map(|x| name(x.index))
                .collect();
            return Err(format!(
                "文件名中没有可区分先后的版本标记，且 {} 的文档属性中没有保存时间",
                without.join("、")
            ));
        };
        let latest = *times.iter().max().unwrap_or(&SavedAt { utc: 0 });
        let at_latest: Vec<&&Candidate> =
            leaders.iter().filter(|x| x.saved == Some(latest)).collect();
        if at_latest.len() > 1 {
            return Err(format!(
                "文件名中没有可区分先后的版本标记，文档属性中的保存时间又相同（{}）",
                latest.show()
            ));
        }
        (
            at_latest[0].index,
            format!("保存时间最晚（{}）", latest.show()),
        )
    };
    let w_saved = c.iter().find(|x| x.index == winner).and_then(|x| x.saved);
    if let Some(ws) = w_saved {
        if let Some(later) = c
            .iter()
            .filter(|x| x.index != winner)
            .find(|x| x.saved.is_some_and(|s| s.utc > ws.utc + CLOCK_SLACK))
        {
            return Err(format!(
                "{} 的文件名标记较新，但文档属性中的保存时间（{}）早于 {}（{}），无法判断哪一份是最终版本",
                name(winner),
                ws.show(),
                name(later.index),
                later.saved.map(SavedAt::show).unwrap_or_default()
            ));
        }
    }
    // The replaced ones, latest first: by mark, then saved time, then name (deterministic).
    c.retain(|x| x.index != winner);
    c.sort_by(|a, b| {
        b.mark
            .rank
            .cmp(&a.mark.rank)
            .then_with(|| b.saved.cmp(&a.saved))
            .then_with(|| name(a.index).cmp(name(b.index)))
    });
    let mut ordered = vec![winner];
    ordered.extend(c.iter().map(|x| x.index));
    Ok((ordered, basis))
}

/// The cells that differ between two versions, in the order of the adopted version's rows (then
/// rows only the previous one had).
pub fn changes(previous: &Submission, adopted: &Submission) -> Vec<Change> {
    let mut out: Vec<(Pos, Change)> = Vec::new();
    let shown = |v: Option<&crate::ingest::CellValue>| match v.map(|c| c.value) {
        Some(Value::Number(x)) => crate::anomaly::fmt_num(x),
        Some(Value::NotApplicable) => "不适用".to_string(),
        Some(Value::Blank) | None => "空".to_string(),
    };
    let codes: std::collections::BTreeSet<&String> = previous
        .values
        .keys()
        .chain(adopted.values.keys())
        .collect();
    for code in codes {
        let (old, new) = (previous.values.get(code), adopted.values.get(code));
        let Some(at) = new.or(old) else { continue };
        let (before, after) = (shown(old), shown(new));
        if before != after {
            out.push((at.pos, change(code, "数值", at, before, after)));
        }
        let note = |s: &Submission| s.notes.get(code).cloned().unwrap_or_default();
        let (nb, na) = (note(previous), note(adopted));
        if nb.trim() != na.trim() {
            let blank = |t: String| {
                if t.trim().is_empty() {
                    "空".to_string()
                } else {
                    t
                }
            };
            out.push((at.pos, change(code, "说明", at, blank(nb), blank(na))));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1.indicator, &a.1.field).cmp(&(b.0, &b.1.indicator, &b.1.field)));
    out.into_iter().map(|(_, c)| c).collect()
}

fn change(
    code: &str,
    field: &str,
    at: &crate::ingest::CellValue,
    before: String,
    after: String,
) -> Change {
    Change {
        indicator: code.to_string(),
        field: field.to_string(),
        sheet: at.sheet.clone(),
        pos: at.pos,
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(name: &str) -> u32 {
        mark(name).rank
    }

    #[test]
    fn marks_in_names() {
        assert_eq!(rank("县水利局_2024.xlsx"), 1);
        assert_eq!(
            rank("县水利局_2024 (1).xlsx"),
            1,
            "a download counter is no mark"
        );
        assert_eq!(rank("县水利局_2024(修改).xlsx"), 2);
        assert_eq!(rank("县水利局_2024更正.xlsx"), 2);
        assert_eq!(rank("县水利局_2024_修改2.xlsx"), 3);
        assert_eq!(rank("县水利局_2024（第二次修改）.xlsx"), 3);
        assert_eq!(rank("县水利局_2024_修订（3）.xlsx"), 4);
        assert_eq!(rank("县水利局2024第3版.xlsx"), 3);
        assert_eq!(rank("县水利局2024第十二版.xlsx"), 12);
        assert_eq!(rank("县水利局2024_v2.xlsx"), 2);
        assert_eq!(rank("县水利局2024-V4.xlsx"), 4);
        assert_eq!(rank("dev2 报表.xlsx"), 1);
        assert_eq!(rank("收表/县水利局_2024终稿.xlsx"), FINAL);
        assert_eq!(rank("县水利局_2024（最终版）.xlsx"), FINAL);
        assert_eq!(
            mark("县水利局_2024(修改).xlsx").text.as_deref(),
            Some("修改")
        );
        assert_eq!(mark("a_v2.xlsx").text.as_deref(), Some("v2"));
        // The original kept beside a correction is earlier than the unmarked correction.
        assert_eq!(rank("青山镇_2024(修改前).xlsx"), EARLIER);
        assert_eq!(rank("青山镇_2024_未修改.xlsx"), EARLIER);
        assert_eq!(rank("青山镇_2024原稿.xlsx"), EARLIER);
        assert_eq!(rank("青山镇_2024(修改后).xlsx"), 2);
        assert_eq!(
            rank("青山镇_2024(修改前)_第2版.xlsx"),
            2,
            "a later mark wins"
        );
    }
}
