//! Deciding how to read a file from its bytes, never from its extension, and refusing files that
//! are not workbooks or that would cost too much to open.
//!
//! | first bytes | what is inside | result |
//! |---|---|---|
//! | `PK\x03\x04` | `xl/workbook.xml` | xlsx/xlsm |
//! | `PK\x03\x04` | `mimetype` = `application/vnd.oasis.opendocument.spreadsheet` | ods |
//! | `PK\x03\x04` | `word/document.xml`, `xl/workbook.bin`, other | S01 with the reason |
//! | `PK\x03\x04` | no central directory | S01 truncated/corrupt |
//! | `D0 CF 11 E0` | stream `EncryptedPackage` | S02 encrypted OOXML |
//! | `D0 CF 11 E0` | stream `Workbook`/`Book` | xls |
//! | `D0 CF 11 E0` | stream `WordDocument`, other | S01 |
//! | `<` (after BOM/space) | HTML or SpreadsheetML 2003 | S01 "re-save as xlsx" |
//! | text | CSV/TXT | S01 |
//! | nothing | empty file | S01 |
//!
//! Zip archives are checked on their central directory before anything is decompressed: number
//! of entries, total uncompressed size and compression ratio (zip bombs). Worksheet dimensions
//! are checked by the reader when it opens each sheet (see `grid`); the cell records of an xls are
//! checked before calamine parses it (see `biff`).

use std::io::{Cursor, Read};

use crate::codes::Code;

/// Resource bounds applied before and while parsing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file read at all, in bytes.
    pub max_file_bytes: u64,
    /// Largest total uncompressed size of a zip's entries.
    pub max_unzipped_bytes: u64,
    /// Largest ratio uncompressed/compressed for an entry bigger than 1 MB.
    pub max_ratio: u64,
    /// Most entries in a zip.
    pub max_entries: usize,
    /// Rows and columns a worksheet may span.
    pub max_rows: u32,
    pub max_cols: u32,
    /// Non-empty cells a workbook may hold.
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 20 * 1024 * 1024,
            max_unzipped_bytes: 200 * 1024 * 1024,
            max_ratio: 200,
            max_entries: 5_000,
            max_rows: 100_000,
            max_cols: 16_384,
            max_cells: 2_000_000,
        }
    }
}

/// The reader chosen for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
}

/// Why a file is refused: the finding code (S01/S02/S09) and the Chinese reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: Code,
    pub message: String,
}

impl Rejection {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];
const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// Decides the reader for `bytes`, or why the file cannot be read.
pub fn sniff(bytes: &[u8], limits: &Limits) -> Result<Format, Rejection> {
    sniff_archive(bytes, limits).map(|(format, _)| format)
}

/// A zip archive over the file's bytes, opened once by sniffing and reused by the reader.
pub type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// [`sniff`], also handing back the zip archive it opened (xlsx/ods) so the reader can reuse
/// its central directory.
pub fn sniff_archive<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<(Format, Option<Archive<'a>>), Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::new(Code::S01, "文件为空（0 字节），请重新报送"));
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_big_file(bytes.len() as u64, limits));
    }
    if bytes.starts_with(ZIP_MAGIC) {
        return sniff_zip(bytes, limits).map(|(f, z)| (f, Some(z)));
    }
    if bytes.starts_with(CFB_MAGIC) {
        return sniff_cfb(bytes).map(|f| (f, None));
    }
    Err(sniff_other(bytes))
}

/// The S09 rejection for a file over the size cap.
pub fn too_big_file(size: u64, limits: &Limits) -> Rejection {
    Rejection::new(
        Code::S09,
        format!(
            "文件大小 {:.1} MB 超过上限 {} MB，拒绝读取",
            size as f64 / 1_048_576.0,
            limits.max_file_bytes / 1_048_576
        ),
    )
}

fn sniff_zip<'a>(bytes: &'a [u8], limits: &Limits) -> Result<(Format, Archive<'a>), Rejection> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        Rejection::new(
            Code::S01,
            "文件已损坏或不完整（压缩包结构无法读取，可能下载或复制未完成），请重新保存后报送",
        )
    })?;
    check_zip_bounds(&mut zip, limits)?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("xl/workbook.xml") {
        check_shared_strings(&mut zip, limits)?;
        return Ok((Format::Xlsx, zip));
    }
    if has("mimetype") && read_small(&mut zip, "mimetype").as_deref() == Some(ODS_MIME) {
        return Ok((Format::Ods, zip));
    }
    let reason = if has("word/document.xml") {
        "这是 Word 文档，不是 Excel 工作簿"
    } else if has("xl/workbook.bin") {
        "这是 Excel 二进制工作簿(.xlsb)，请用 Excel 另存为 .xlsx"
    } else if has("ppt/presentation.xml") {
        "这是 PowerPoint 演示文稿，不是 Excel 工作簿"
    } else if has("mimetype") {
        "这是 OpenDocument 文件但不是表格（如文字文档），不是 Excel 工作簿"
    } else {
        "这是普通压缩包(zip)，不是 Excel 工作簿，请解压后报送其中的 Excel 文件"
    };
    Err(Rejection::new(Code::S01, reason))
}

fn check_zip_bounds<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    limits: &Limits,
) -> Result<(), Rejection> {
    if zip.len() > limits.max_entries {
        return Err(Rejection::new(
            Code::S09,
            format!(
                "压缩包条目数 {} 超过上限 {}，文件结构异常，拒绝读取",
                zip.len(),
                limits.max_entries
            ),
        ));
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let Ok(f) = zip.by_index_raw(i) else {
            return Err(Rejection::new(
                Code::S01,
                "文件已损坏（压缩包条目无法读取）",
            ));
        };
        let (size, packed) = (f.size(), f.compressed_size().max(1));
        total = total.saturating_add(size);
        if size > 1_048_576 && size / packed > limits.max_ratio {
            return Err(Rejection::new(
                Code::S09,
                format!(
                    "压缩包条目 {} 的压缩比 {}:1 异常（疑似压缩炸弹），拒绝读取",
                    f.name().unwrap_or_default(),
                    size / packed
                ),
            ));
        }
    }
    if total > limits.max_unzipped_bytes {
        return Err(Rejection::new(
            Code::S09,
            format!(
                "解压后大小 {} MB 超过上限 {} MB，拒绝读取",
                total / 1_048_576,
                limits.max_unzipped_bytes / 1_048_576
            ),
        ));
    }
    Ok(())
}

/// Shortest XML of one shared string (`<si/>`): a string table of `size` bytes holds at most
/// `size / MIN_SI_BYTES` strings.
const MIN_SI_BYTES: u64 = 5;

/// Refuses a shared-string table whose `uniqueCount` claims more strings than its entry can hold
/// (or than a workbook may have cells): calamine reserves that many strings before reading one,
/// so a ten-byte edit (`uniqueCount="4000000000…"`) would abort the process on the allocation,
/// which no panic guard can catch. Only the `<sst>` start tag is parsed; `count` (references,
/// not strings) is not used by calamine and not checked. Every entry named `sharedStrings.xml`
/// is looked at, in any folder and case, as calamine finds it relative to the workbook.
fn check_shared_strings<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    limits: &Limits,
) -> Result<(), Rejection> {
    let names: Vec<(usize, String)> = zip
        .file_names()
        .enumerate()
        .filter_map(|(i, n)| n.ok().map(|n| (i, n.into_owned())))
        .filter(|(_, n)| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
        .collect();
    for (index, name) in names {
        let Ok(entry) = zip.by_index(index) else {
            continue;
        };
        let size = entry.size();
        let Some((claimed, text)) = unique_count(entry) else {
            continue;
        };
        let room = (size / MIN_SI_BYTES).min(limits.max_cells as u64);
        if claimed > room {
            return Err(Rejection::new(
                Code::S09,
                format!(
                    "共享字符串表 {name} 声明含有 {text} 个字符串（uniqueCount），而该部件只有 \
                     {size} 字节，最多容纳 {room} 个，文件结构异常，拒绝读取"
                ),
            ));
        }
    }
    Ok(())
}

/// The `uniqueCount` of the `<sst>` start tag, when it is all digits (what calamine reserves;
/// anything else it ignores): its value saturating at `u64::MAX`, and its text (clipped) for
/// the message.
fn unique_count(entry: impl Read) -> Option<(u64, String)> {
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(entry));
    let mut buf = Vec::with_capacity(512);
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.local_name().as_ref() == "sst" =>
            {
                let value = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "uniqueCount")?
                    .value
                    .into_owned();
                let value = value.as_bytes();
                if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let n = value.iter().fold(0u64, |acc, d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                let mut text = String::from_utf8_lossy(&value[..value.len().min(30)]).into_owned();
                if value.len() > 30 {
                    text.push('…');
                }
                return Some((n, text));
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

/// Reads a small entry (≤ 1 KB) as trimmed text.
fn read_small<R: Read + std::io::Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Option<String> {
    let f = zip.by_name(name).ok()?;
    let mut buf = Vec::new();
    f.take(1024).read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).trim().to_owned())
}

/// Whether the compound file's directory names a stream called `name` (names are UTF-16LE).
fn cfb_has_stream(bytes: &[u8], name: &str) -> bool {
    let needle: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

fn sniff_cfb(bytes: &[u8]) -> Result<Format, Rejection> {
    if cfb_has_stream(bytes, "EncryptedPackage") {
        return Err(encrypted());
    }
    if cfb_has_stream(bytes, "Workbook") || cfb_has_stream(bytes, "Book") {
        return Ok(Format::Xls);
    }
    if cfb_has_stream(bytes, "WordDocument") {
        return Err(Rejection::new(
            Code::S01,
            "这是 Word 文档(.doc)，不是 Excel 工作簿",
        ));
    }
    Err(Rejection::new(
        Code::S01,
        "这是 Office 复合文档，但不是 Excel 工作簿",
    ))
}

/// The S02 rejection.
pub fn encrypted() -> Rejection {
    Rejection::new(Code::S02, "文件设有打开密码，请去除密码后重新报送")
}

fn sniff_other(bytes: &[u8]) -> Rejection {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let lower = t.to_lowercase();
    let reason = if lower.starts_with('<') {
        if lower.contains("urn:schemas-microsoft-com:office:spreadsheet")
            && !lower.contains("<html")
        {
            "这是 Excel 2003 XML 表格，请用 Excel 另存为 .xlsx"
        } else {
            "这是网页(HTML)导出的文件，请用 Excel 另存为 .xlsx"
        }
    } else if bytes.starts_with(b"%PDF") {
        "这是 PDF 文件，不是 Excel 工作簿"
    } else if bytes.starts_with(b"{\\rtf") {
        "这是 RTF 文档，不是 Excel 工作簿"
    } else if looks_like_text(head) {
        "这是文本/CSV 文件，不是 Excel 工作簿，请用 Excel 打开后另存为 .xlsx"
    } else {
        "无法识别的文件格式，不是 Excel 工作簿"
    };
    Rejection::new(Code::S01, reason)
}

/// Text files (UTF-8 or GBK) have no NUL bytes and few control characters.
fn looks_like_text(head: &[u8]) -> bool {
    !head
        .iter()
        .any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> Option<Code> {
        sniff(bytes, &Limits::default()).err().map(|r| r.code)
    }

    #[test]
    fn plain_inputs() {
        assert_eq!(code(b""), Some(Code::S01));
        assert_eq!(code(b"a,b\n1,2\n"), Some(Code::S01));
        assert_eq!(
            code(b"\xef\xbb\xbf <html><table></table></html>"),
            Some(Code::S01)
        );
        assert_eq!(code(b"PK\x03\x04garbage"), Some(Code::S01));
        assert_eq!(code(&[0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3]), Some(Code::S01));
        assert_eq!(code(&[0u8, 1, 2, 3, 0]), Some(Code::S01));
    }

    #[test]
    fn cfb_stream_names_decide() {
        let mut b = CFB_MAGIC.to_vec();
        b.extend(
            "EncryptedPackage"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        );
        assert_eq!(code(&b), Some(Code::S02));
    }

    #[test]
    fn size_cap() {
        let limits = Limits {
            max_file_bytes: 4,
            ..Limits::default()
        };
        assert_eq!(sniff(b"12345", &limits).map_err(|r| r.code), Err(Code::S09));
    }
}
