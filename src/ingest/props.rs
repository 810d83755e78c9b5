//! The workbook's own saved time, from its document properties: `dcterms:modified` in
//! `docProps/core.xml` (written by Excel, WPS, LibreOffice and openpyxl for .xlsx) or `dc:date`
//! in `meta.xml` (LibreOffice for .ods). It decides which of two versions of a unit's return is
//! the later one ([`crate::validate::versions`]); file-system times do not, since downloading an
//! attachment resets them.
//!
//! Times with a zone (`Z`, `+08:00`) are converted to UTC; times without one (LibreOffice's
//! `meta.xml`) are taken as China Standard Time (UTC+8), where every return of this tool is
//! saved. Shown to the clerk in Beijing time, to the minute.

use serde::{Deserialize, Serialize};
use std::io::{Read, Seek};
use zip::ZipArchive;

use super::sheetxml::read_part;
use super::sniff::Format;

/// The largest properties part read; real ones are under 2 KB.
const MAX_PROPS_BYTES: u64 = 64 * 1024;

/// China Standard Time, in seconds east of UTC.
const CST: i64 = 8 * 3600;

/// When the workbook says it was last saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SavedAt {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub utc: i64,
}

impl SavedAt {
    /// `2025-01-10 16:30` in Beijing time.
    pub fn show(self) -> String {
        let local = self.utc + CST;
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60
        )
    }
}

/// The saved time of an xlsx or ods workbook, when its properties carry a readable one.
pub fn saved_time<R: Read + Seek>(zip: &mut ZipArchive<R>, format: Format) -> Option<SavedAt> {
    let (part, tag) = match format {
        Format::Xlsx => ("docProps/core.xml", "modified"),
        Format::Ods => ("meta.xml", "date"),
        Format::Xls => return None,
    };
    let xml = read_part(zip, part, MAX_PROPS_BYTES)?;
    let text = element_text(std::str::from_utf8(&xml).ok()?, tag)?;
    parse_w3c(text.trim())
}

/// The text of the first element whose local name is `local` (any namespace prefix).
fn element_text<'a>(xml: &'a str, local: &str) -> Option<&'a str> {
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        let name = &rest[..name_end];
        let bare = name.rsplit(':').next().unwrap_or(name);
        if bare == local && !name.starts_with('/') {
            let body = &rest[rest.find('>')? + 1..];
            return Some(&body[..body.find('<')?]);
        }
    }
    None
}

/// `2025-01-10T08:30:00Z`, `2025-01-10T16:30:00.123+08:00` or `2025-01-10T16:30:00` (taken as
/// Beijing time) → UTC seconds. Anything else is `None`: an unreadable time decides nothing.
pub fn parse_w3c(s: &str) -> Option<SavedAt> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "" => CST,
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = &rest[1..];
            if hm.len() != 5 || hm.as_bytes()[2] != b':' {
                return None;
            }
            let oh: i64 = hm[..2].parse().ok()?;
            let om: i64 = hm[3..].parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    let days = days_from_civil(y, mo, d);
    Some(SavedAt {
        utc: days * 86_400 + h * 3600 + mi * 60 + sec - offset,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_normalised_to_utc() {
        let z = parse_w3c("2025-01-10T08:30:00Z").unwrap();
        assert_eq!(parse_w3c("2025-01-10T16:30:00+08:00"), Some(z));
        assert_eq!(parse_w3c("2025-01-10T16:30:00.123456789"), Some(z));
        assert_eq!(z.show(), "2025-01-10 16:30");
        assert_eq!(parse_w3c("1970-01-01T00:00:00Z").unwrap().utc, 0);
        assert!(parse_w3c("2024-03-01T00:00:00Z") > parse_w3c("2024-02-29T23:59:59Z"));
    }

    #[test]
    fn unreadable_times_decide_nothing() {
        for s in [
            "",
            "2025-01-10",
            "2025-13-10T08:30:00Z",
            "２０２５-01-10T08:30:00Z",
            "2025-01-10T08:30:00+8",
        ] {
            assert_eq!(parse_w3c(s), None, "{s}");
        }
    }

    #[test]
    fn the_modified_element_is_found_under_any_prefix() {
        let xml = r#"<cp:coreProperties xmlns:dcterms="x"><dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2025-01-10T08:30:00Z</dcterms:modified></cp:coreProperties>"#;
        assert_eq!(element_text(xml, "modified"), Some("2025-01-10T08:30:00Z"));
        assert_eq!(
            element_text(
                "<office:meta><dc:date>2025-01-10T16:30:00</dc:date>",
                "date"
            ),
            Some("2025-01-10T16:30:00")
        );
        assert_eq!(element_text("<a>b</a>", "modified"), None);
    }
}
