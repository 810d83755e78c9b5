//! Reading and writing `units.csv` (format documented in `docs/registry-format.md`).
//!
//! Parsing runs in two passes: each row is checked on its own first (so the reported line is the
//! row that is wrong), then parents and predecessors are resolved against the whole file, which
//! allows a row to refer to a unit listed further down.

use std::collections::{BTreeMap, BTreeSet};

use super::{Registry, Unit, UnitKind};

/// The columns, in the order `write` emits them. All are required in the header, in any order;
/// extra columns are ignored (offices keep notes or aliases there).
pub const COLUMNS: [&str; 8] = [
    "code",
    "name",
    "kind",
    "parent",
    "active_from",
    "active_to",
    "predecessors",
    "villages",
];

/// Chinese header names accepted for each column (what a county office types in Excel), beside
/// the English ones. Compared after removing spaces and unifying brackets.
const CHINESE: [(&str, &[&str]); 8] = [
    ("code", &["单位代码", "代码"]),
    ("name", &["单位名称", "名称"]),
    ("kind", &["单位类型", "类型"]),
    ("parent", &["上级代码", "上级单位代码", "上级"]),
    ("active_from", &["起报年度", "开始年度", "起始年度"]),
    ("active_to", &["止报年度", "截止年度", "结束年度"]),
    ("predecessors", &["前身单位", "前身"]),
    ("villages", &["村社区数", "村(社区)数", "村数"]),
];

/// The file's text: UTF-8 (with or without BOM), or GBK/GB18030, what Excel and WPS save as
/// plain "CSV" on Chinese Windows. A file that is UTF-8 but for a few broken bytes (cut off, or
/// edited with mixed encodings) is refused at the line, not read as GBK: that would turn every
/// name into other characters without a word.
pub fn decode(bytes: Vec<u8>) -> Result<String, RowError> {
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e.into_bytes(),
    };
    let utf8_cjk = std::str::from_utf8(&bytes)
        .err()
        .map(|e| e.valid_up_to())
        .is_some_and(|valid| {
            String::from_utf8_lossy(&bytes[..valid])
                .chars()
                .any(|c| c as u32 >= 0x3000)
        });
    let (text, _, malformed) = encoding_rs::GB18030.decode(&bytes);
    if utf8_cjk || malformed {
        let valid = std::str::from_utf8(&bytes)
            .err()
            .map_or(0, |e| e.valid_up_to());
        let row = bytes[..valid].iter().filter(|b| **b == b'\n').count() + 1;
        return err(
            row,
            "文件编码无法识别：既不是完整的 UTF-8，也不是 GBK。请用 Excel 打开后另存为“CSV UTF-8(逗号分隔)”",
        );
    }
    Ok(text.into_owned())
}

/// Plausible statistical years; anything outside is a typo (e.g. `224`, `20224`).
const YEARS: std::ops::RangeInclusive<i32> = 1949..=2100;

/// A refusal: 1-based line in the file and the Chinese reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

fn err<T>(row: usize, message: impl Into<String>) -> Result<T, RowError> {
    Err(RowError {
        row,
        message: message.into(),
    })
}

/// Column name → field index in each record.
type ColumnMap = BTreeMap<&'static str, usize>;

/// Parses and checks the whole registry.
pub fn parse(text: &str) -> Result<Registry, RowError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let (header_row, columns) = match records.next() {
        None => return err(1, "名册为空：缺少表头行"),
        Some(r) => {
            let rec = r.map_err(csv_error)?;
            (line_of(&rec), column_map(&rec, line_of(&rec))?)
        }
    };
    let width = columns.values().max().map_or(0, |m| m + 1);
    let mut rows: Vec<(usize, Unit)> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for rec in records {
        let rec = rec.map_err(csv_error)?;
        let row = line_of(&rec);
        if rec.iter().all(str::is_empty) {
            continue; // a row of only commas, as Excel leaves after deleting a unit
        }
        if rec.len() < width {
            return err(
                row,
                format!("只有 {} 列，表头有 {} 列（缺少逗号？）", rec.len(), width),
            );
        }
        let unit = parse_row(&rec, &columns, row)?;
        if let Some(first) = seen.insert(unit.code.clone(), row) {
            return err(
                row,
                format!(
                    "单位代码 {} 重复（第 {first} 行已有）；代码不得重复使用",
                    unit.code
                ),
            );
        }
        rows.push((row, unit));
    }
    if rows.is_empty() {
        return err(header_row, "名册中没有任何单位");
    }
    check_references(&rows)?;
    Ok(Registry::new(rows.into_iter().map(|(_, u)| u).collect()))
}

/// The 1-based line where a record starts.
fn line_of(rec: &csv::StringRecord) -> usize {
    rec.position().map_or(0, |p| p.line() as usize)
}

fn csv_error(e: csv::Error) -> RowError {
    let row = e.position().map_or(0, |p| p.line() as usize);
    RowError {
        row,
        message: format!("无法解析 CSV：{e}"),
    }
}

fn column_map(header: &csv::StringRecord, row: usize) -> Result<ColumnMap, RowError> {
    let mut map = ColumnMap::new();
    let norm = |h: &str| -> String {
        h.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                c => c,
            })
            .collect()
    };
    for (col, names) in CHINESE {
        let found = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(col) || names.iter().any(|n| norm(h) == norm(n)));
        match found {
            Some(i) => {
                map.insert(col, i);
            }
            None => {
                return err(
                    row,
                    format!(
                        "表头缺少列 {col}（{}）；表头应为 {}，或中文 {}",
                        names[0],
                        COLUMNS.join(","),
                        CHINESE.map(|(_, n)| n[0]).join(",")
                    ),
                )
            }
        }
    }
    Ok(map)
}

fn field<'a>(rec: &'a csv::StringRecord, columns: &ColumnMap, col: &str) -> &'a str {
    columns.get(col).and_then(|i| rec.get(*i)).unwrap_or("")
}

/// Checks one row on its own (everything except parent and predecessor references).
fn parse_row(rec: &csv::StringRecord, columns: &ColumnMap, row: usize) -> Result<Unit, RowError> {
    let f = |col| field(rec, columns, col);
    let code = f("code");
    if code.is_empty() {
        return err(row, "单位代码(code)为空");
    }
    if code.contains([':', ';']) {
        return err(
            row,
            format!("单位代码 {code} 含有“:”或“;”，这两个符号用于分隔前身单位"),
        );
    }
    let name = f("name");
    if name.is_empty() {
        return err(row, format!("单位 {code} 的名称(name)为空"));
    }
    let kind = UnitKind::parse(f("kind")).ok_or_else(|| RowError {
        row,
        message: format!(
            "单位类型(kind)“{}”无法识别；应为 township/department/county_office/external \
             或 乡镇(街道)/县直部门/县本级/外部来源；汇总名册（huizong rollup）还可用 \
             county/city/city_office/province_office",
            f("kind")
        ),
    })?;
    let active_from = match f("active_from") {
        "" => return err(row, format!("单位 {code} 缺少起始年度(active_from)")),
        s => year(s, "active_from", row)?,
    };
    let active_to = match f("active_to") {
        "" => None,
        s => Some(year(s, "active_to", row)?),
    };
    if let Some(to) = active_to.filter(|to| *to < active_from) {
        return err(
            row,
            format!("截止年度(active_to) {to} 早于起始年度(active_from) {active_from}"),
        );
    }
    let parent = Some(f("parent"))
        .filter(|p| !p.is_empty())
        .map(String::from);
    Ok(Unit {
        code: code.to_string(),
        name: name.to_string(),
        kind,
        parent,
        active_from,
        active_to,
        predecessors: predecessors(f("predecessors"), code, row)?,
        villages: villages(f("villages"), row)?,
    })
}

fn year(s: &str, col: &str, row: usize) -> Result<i32, RowError> {
    match s.parse::<i32>() {
        Ok(y) if YEARS.contains(&y) => Ok(y),
        _ => err(
            row,
            format!("{col}“{s}”不是有效年度（应为四位数字年份，如 2024）"),
        ),
    }
}

fn villages(s: &str, row: usize) -> Result<u32, RowError> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u32>()
        .or_else(|_| err(row, format!("村(社区)数(villages)“{s}”不是非负整数")))
}

/// `CODE:1.0;CODE2:0.5`; the weight defaults to 1.0.
fn predecessors(s: &str, code: &str, row: usize) -> Result<Vec<(String, f64)>, RowError> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for item in s
        .split([';', '；'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let (pred, weight) = match item.split_once([':', '：']) {
            None => (item, 1.0),
            Some((p, w)) => (p.trim(), parse_weight(w.trim(), item, row)?),
        };
        if pred.is_empty() {
            return err(row, format!("前身单位“{item}”缺少代码"));
        }
        if pred == code {
            return err(row, format!("单位 {code} 不能把自己列为前身单位"));
        }
        if out.iter().any(|(p, _)| p == pred) {
            return err(row, format!("前身单位 {pred} 重复列出"));
        }
        out.push((pred.to_string(), weight));
    }
    Ok(out)
}

fn parse_weight(w: &str, item: &str, row: usize) -> Result<f64, RowError> {
    match w.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => err(
            row,
            format!("前身单位“{item}”的权重“{w}”应为大于 0 的数（如 1 或 0.5）"),
        ),
    }
}

/// Whether `s` is a 6-digit county code (GB/T 2260), the roll-up parent of a county's units.
fn is_county_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parents and predecessors must name units of the file (or, for parents, a county code).
fn check_references(rows: &[(usize, Unit)]) -> Result<(), RowError> {
    let codes: BTreeSet<&str> = rows.iter().map(|(_, u)| u.code.as_str()).collect();
    for (row, unit) in rows {
        if let Some(p) = &unit.parent {
            if p == &unit.code {
                return err(*row, format!("单位 {} 的上级(parent)不能是自己", unit.code));
            }
            if !codes.contains(p.as_str()) && !is_county_code(p) {
                return err(
                    *row,
                    format!("上级(parent) {p} 既不是名册中的单位代码，也不是 6 位县级行政区划代码"),
                );
            }
        }
        if let Some((p, _)) = unit
            .predecessors
            .iter()
            .find(|(p, _)| !codes.contains(p.as_str()))
        {
            return err(
                *row,
                format!("前身单位 {p} 不在名册中；撤并的旧单位也要保留在名册里（填写 active_to）"),
            );
        }
    }
    Ok(())
}

/// Writes the registry with the header `parse` expects; fields are quoted only when needed.
pub fn write(registry: &Registry) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail; ignoring the results keeps the signature infallible.
    let _ = w.write_record(COLUMNS);
    for u in &registry.units {
        let record = [
            u.code.clone(),
            u.name.clone(),
            u.kind.key().to_string(),
            u.parent.clone().unwrap_or_default(),
            u.active_from.to_string(),
            u.active_to.map(|y| y.to_string()).unwrap_or_default(),
            format_predecessors(&u.predecessors),
            u.villages.to_string(),
        ];
        let _ = w.write_record(&record);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// `CODE;CODE2:0.5` — a weight of 1 is left out; other weights print with `f64`'s shortest
/// round-trip form, so `parse(write(r)) == r`.
fn format_predecessors(preds: &[(String, f64)]) -> String {
    preds
        .iter()
        .map(|(code, w)| {
            if *w == 1.0 {
                code.clone()
            } else {
                format!("{code}:{w}")
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod header_tests {
    use super::*;

    #[test]
    fn every_column_has_chinese_names_in_the_same_order() {
        let keys: Vec<&str> = CHINESE.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, COLUMNS);
    }
}
