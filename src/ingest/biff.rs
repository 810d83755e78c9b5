//! Bounds for .xls files, checked on the BIFF records before calamine parses them.
//!
//! calamine's xls reader parses every sheet when the workbook is opened, and it trusts two
//! things a hostile or broken file controls: it reserves `rows × cols` cells from each sheet's
//! DIMENSIONS record (a record declaring 4 billion rows aborts the process on allocation, or
//! wraps around when the first row is past the last), and it builds a dense grid over the
//! bounding box of the cells present (one cell at A1 and one at IV65536 is 16.7 M slots). Its
//! compound-file reader also follows sector chains without a cycle check.
//!
//! So [`guard`] reads the compound file itself (header, FAT, directory, mini stream, every chain
//! checked for cycles and bounds), finds the `Workbook`/`Book` stream and walks the records of
//! each sheet the way calamine does (from the BOUNDSHEET offsets, nested substreams skipped):
//! - a sheet whose cell records span more than [`Limits::max_cells`] slots, or sit past
//!   [`Limits::max_rows`]/[`Limits::max_cols`], is refused (S09), as xlsx cells are in `grid`;
//! - a DIMENSIONS record declaring more than that is neutralised in a private copy of the bytes
//!   (zeroed, which calamine reads as one cell), so the declaration costs nothing and a file with
//!   few cells still reads. The input file is never touched.
//!
//! A compound file that cannot be followed is refused as corrupt (S01). Encrypted workbooks
//! (FILEPASS) are handed to calamine unchecked: it refuses them before reading any sheet.

use std::borrow::Cow;

use super::sniff::{Limits, Rejection};
use crate::codes::Code;

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREESECT: u32 = 0xFFFF_FFFF;
/// Sector ids at or above this are markers, not sectors.
const MAXREGSECT: u32 = 0xFFFF_FFFA;

/// Checks `bytes` (an OLE compound file) and returns them as calamine may read them: borrowed
/// when nothing needed changing, else a copy with oversized DIMENSIONS records zeroed.
pub fn guard<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Cow<'a, [u8]>, Rejection> {
    let cfb = Cfb::new(bytes).ok_or_else(broken)?;
    let stream = cfb.workbook_stream().ok_or_else(broken)?;
    let patches = check_records(&stream.data, limits)?;
    if patches.is_empty() {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut owned = bytes.to_vec();
    for (start, len) in patches {
        for p in start..start + len {
            if let Some(b) = stream.file_offset(p).and_then(|o| owned.get_mut(o)) {
                *b = 0;
            }
        }
    }
    Ok(Cow::Owned(owned))
}

fn broken() -> Rejection {
    Rejection::new(
        Code::S01,
        "工作簿内容已损坏（.xls 文件结构无法读取），请用 Excel 打开后另存为 .xlsx 重新报送",
    )
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// A stream's bytes and where each of its sectors lies in the file.
struct Stream {
    data: Vec<u8>,
    /// Sector size of the stream (64 for the mini stream).
    unit: usize,
    /// File offset of each sector, in stream order.
    offsets: Vec<usize>,
}

impl Stream {
    fn file_offset(&self, p: usize) -> Option<usize> {
        Some(self.offsets.get(p / self.unit)? + p % self.unit)
    }
}

/// The parts of a compound file needed to read one stream.
struct Cfb<'a> {
    bytes: &'a [u8],
    size: usize,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    /// (name, start sector, size) of every directory entry; the first is the root.
    dirs: Vec<(String, u32, u64)>,
    mini_cutoff: u64,
}

impl<'a> Cfb<'a> {
    fn new(bytes: &'a [u8]) -> Option<Self> {
        if bytes.get(..8)? != b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" {
            return None;
        }
        let size = match u16_at(bytes, 30)? {
            9 => 512,
            12 => 4096,
            _ => return None,
        };
        let mut cfb = Cfb {
            bytes,
            size,
            fat: Vec::new(),
            mini_fat: Vec::new(),
            dirs: Vec::new(),
            mini_cutoff: u64::from(u32_at(bytes, 56)?),
        };
        // FAT sector ids: 109 in the header, the rest in the DIFAT chain.
        let mut fat_sectors: Vec<u32> =
            (0..109).filter_map(|i| u32_at(bytes, 76 + 4 * i)).collect();
        let mut difat = u32_at(bytes, 68)?;
        let max_sectors = bytes.len() / size + 1;
        let mut steps = 0;
        while difat < MAXREGSECT {
            steps += 1;
            if steps > max_sectors {
                return None;
            }
            let s = cfb.sector(difat)?;
            let per = size / 4 - 1;
            fat_sectors.extend((0..per).filter_map(|i| u32_at(s, 4 * i)));
            difat = u32_at(s, 4 * per)?;
        }
        for id in fat_sectors.into_iter().filter(|id| *id < MAXREGSECT) {
            let s = cfb.sector(id)?;
            cfb.fat
                .extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
            if cfb.fat.len() > max_sectors * (size / 4) {
                return None;
            }
        }
        let dir_offsets = cfb.chain(u32_at(bytes, 48)?, &cfb.fat, size)?;
        for off in dir_offsets {
            for e in (0..size / 128).map(|i| off + 128 * i) {
                let entry = bytes.get(e..e + 128)?;
                let name_len = (u16_at(entry, 64)? as usize).min(64);
                let units: Vec<u16> = (0..name_len / 2)
                    .filter_map(|i| u16_at(entry, 2 * i))
                    .take_while(|u| *u != 0)
                    .collect();
                let len = if size == 512 {
                    u64::from(u32_at(entry, 120)?)
                } else {
                    u64::from(u32_at(entry, 120)?) | (u64::from(u32_at(entry, 124)?) << 32)
                };
                cfb.dirs
                    .push((String::from_utf16_lossy(&units), u32_at(entry, 116)?, len));
            }
        }
        if cfb.dirs.is_empty() {
            return None;
        }
        if u32_at(bytes, 64)? > 0 {
            let mini_fat_offsets = cfb.chain(u32_at(bytes, 60)?, &cfb.fat, size)?;
            let mini_fat: Vec<u32> = mini_fat_offsets
                .iter()
                .flat_map(|o| (0..size / 4).filter_map(move |i| u32_at(bytes, o + 4 * i)))
                .collect();
            cfb.mini_fat = mini_fat;
        }
        Some(cfb)
    }

    /// The bytes of sector `id` (the last one may be short).
    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(self.size)?;
        let end = start.checked_add(self.size)?.min(self.bytes.len());
        self.bytes.get(start..end).filter(|s| !s.is_empty())
    }

    /// File offsets of the sectors of the chain from `start` (`unit`-sized sectors in the file,
    /// or in the mini stream when `fat` is the mini FAT). `None` on a cycle or a bad id.
    fn chain(&self, start: u32, fat: &[u32], unit: usize) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN && id != FREESECT {
            if out.len() >= fat.len() {
                return None; // longer than the FAT: a cycle
            }
            if unit == self.size {
                let off = (id as usize).checked_add(1)?.checked_mul(self.size)?;
                if off >= self.bytes.len() {
                    return None;
                }
                out.push(off);
            } else {
                out.push(id as usize);
            }
            id = *fat.get(id as usize)?;
        }
        Some(out)
    }

    /// The `Workbook` (BIFF8) or `Book` (BIFF5) stream, looked up as calamine does.
    fn workbook_stream(&self) -> Option<Stream> {
        let (_, start, len) = ["Workbook", "Book"].iter().find_map(|n| {
            self.dirs
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(n))
        })?;
        let len = usize::try_from(*len).ok()?.min(self.bytes.len());
        let (unit, offsets) = if (len as u64) < self.mini_cutoff {
            // In the mini stream, which is itself the root entry's chain of regular sectors.
            let (_, root_start, _) = self.dirs.first()?;
            let root = self.chain(*root_start, &self.fat, self.size)?;
            let minis = self.chain(*start, &self.mini_fat, 64)?;
            let per = self.size / 64;
            let offsets = minis
                .into_iter()
                .map(|m| Some(root.get(m / per)? + (m % per) * 64))
                .collect::<Option<Vec<usize>>>()?;
            (64, offsets)
        } else {
            (self.size, self.chain(*start, &self.fat, self.size)?)
        };
        let mut data = Vec::with_capacity(len);
        for off in &offsets {
            if data.len() >= len {
                break;
            }
            let end = (off + unit).min(self.bytes.len());
            let take = (end.saturating_sub(*off)).min(len - data.len());
            data.extend_from_slice(self.bytes.get(*off..off + take)?);
        }
        Some(Stream {
            data,
            unit,
            offsets,
        })
    }
}

/// One BIFF record: type, data and the stream offset of the data.
struct Record<'s> {
    typ: u16,
    data: &'s [u8],
    at: usize,
}

fn records(stream: &[u8], from: usize) -> impl Iterator<Item = Record<'_>> {
    let mut pos = from;
    std::iter::from_fn(move || {
        let typ = u16_at(stream, pos)?;
        let len = u16_at(stream, pos + 2)? as usize;
        let at = pos + 4;
        let data = stream.get(at..at + len)?;
        pos = at + len;
        Some(Record { typ, data, at })
    })
}

/// Walks the sheets' records; returns the (stream offset, length) of DIMENSIONS data to zero.
fn check_records(stream: &[u8], limits: &Limits) -> Result<Vec<(usize, usize)>, Rejection> {
    let mut sheets: Vec<(usize, String)> = Vec::new();
    for r in records(stream, 0) {
        match r.typ {
            0x002F => return Ok(Vec::new()), // FILEPASS: calamine refuses it as encrypted
            0x0085 => {
                if let Some(pos) = u32_at(r.data, 0) {
                    sheets.push((pos as usize, sheet_name(r.data)));
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    sheets.sort();
    sheets.dedup_by_key(|s| s.0);
    let mut patches = Vec::new();
    // Sheets do not overlap in a sound file; a budget keeps overlapping ones linear.
    let mut budget = stream.len().saturating_mul(2).saturating_add(1 << 20);
    for (i, (pos, name)) in sheets.iter().enumerate() {
        let name = if name.is_empty() {
            format!("第 {} 个工作表", i + 1)
        } else {
            name.clone()
        };
        let mut bbox: Option<(u32, u32, u32, u32)> = None;
        let mut seen_bof = false;
        let mut depth = 0usize;
        for r in records(stream, *pos) {
            budget = budget.saturating_sub(r.data.len() + 4);
            if budget == 0 {
                return Err(Rejection::new(
                    Code::S09,
                    "xls 文件的工作表记录相互重叠，文件结构异常，拒绝读取",
                ));
            }
            if depth > 0 {
                match r.typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let cells: Option<(u16, u16, u16)> = match r.typ {
                0x0809 if seen_bof => {
                    depth += 1;
                    None
                }
                0x0809 => {
                    seen_bof = true;
                    None
                }
                0x000A => break,
                0x0200 => {
                    if declared_cells(r.data).is_none_or(|n| n > limits.max_cells as u64) {
                        patches.push((r.at, r.data.len()));
                    }
                    None
                }
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    let (row, col) = (u16_at(r.data, 0), u16_at(r.data, 2));
                    row.zip(col).map(|(r, c)| (r, c, c))
                }
                0x00BD => {
                    // MULRK: row, first column, …, last column in the last two bytes.
                    let n = r.data.len();
                    match (u16_at(r.data, 0), u16_at(r.data, 2), n.checked_sub(2)) {
                        (Some(row), Some(first), Some(l)) => {
                            u16_at(r.data, l).map(|last| (row, first, last.max(first)))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((row, c0, c1)) = cells {
                let (row, c0, c1) = (u32::from(row), u32::from(c0), u32::from(c1));
                if row >= limits.max_rows || c1 >= limits.max_cols {
                    return Err(too_large(
                        &name,
                        format!("有内容的单元格位于第 {} 行第 {} 列", row + 1, c1 + 1),
                    ));
                }
                bbox = Some(match bbox {
                    None => (row, row, c0, c1),
                    Some((r0, r1, a, b)) => (r0.min(row), r1.max(row), a.min(c0), b.max(c1)),
                });
            }
        }
        if let Some((r0, r1, c0, c1)) = bbox {
            let (rows, cols) = (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1);
            if rows * cols > limits.max_cells as u64 {
                return Err(too_large(
                    &name,
                    format!("有内容的单元格分布在 {rows} 行 × {cols} 列的范围内"),
                ));
            }
        }
    }
    Ok(patches)
}

fn too_large(sheet: &str, what: String) -> Rejection {
    Rejection::new(
        Code::S09,
        format!("工作表“{sheet}”{what}，超过读取上限，拒绝读取"),
    )
}

/// How many cells calamine would reserve for a DIMENSIONS record (its own arithmetic, without
/// the wrap-around); `None` when the record is malformed or the first row is past the last.
fn declared_cells(r: &[u8]) -> Option<u64> {
    let (rf, rl, cf, cl) = match r.len() {
        10 => (
            u32::from(u16_at(r, 0)?),
            u32::from(u16_at(r, 2)?),
            u32::from(u16_at(r, 4)?),
            u32::from(u16_at(r, 6)?),
        ),
        14 | 16 => (
            u32_at(r, 0)?,
            u32_at(r, 4)?,
            u32::from(u16_at(r, 8)?),
            u32::from(u16_at(r, 10)?),
        ),
        _ => return Some(0), // calamine rejects other lengths itself
    };
    if rl == 0 || cl == 0 {
        return Some(1);
    }
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    let rows = (rl - 1).checked_sub(rf)? as u64 + 1;
    let cols = (cl - 1).checked_sub(cf)? as u64 + 1;
    Some(rows * cols)
}

/// The sheet name of a BIFF8 BOUNDSHEET record (ShortXLUnicodeString after 6 bytes), empty
/// when it cannot be decoded (BIFF5 names are in the workbook's code page).
fn sheet_name(r: &[u8]) -> String {
    let (Some(&cch), Some(&flags)) = (r.get(6), r.get(7)) else {
        return String::new();
    };
    let chars = r.get(8..).unwrap_or_default();
    if flags & 1 == 1 {
        let units: Vec<u16> = (0..cch as usize)
            .filter_map(|i| u16_at(chars, 2 * i))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        chars
            .iter()
            .take(cch as usize)
            .map(|&b| char::from(b))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_cells_follow_calamine() {
        let rec = |rf: u32, rl: u32, cf: u16, cl: u16| {
            let mut v = rf.to_le_bytes().to_vec();
            v.extend(rl.to_le_bytes());
            v.extend(cf.to_le_bytes());
            v.extend(cl.to_le_bytes());
            v.extend([0, 0]);
            v
        };
        assert_eq!(declared_cells(&rec(0, 80, 0, 6)), Some(480));
        assert_eq!(declared_cells(&rec(0, 65_536, 0, 256)), Some(16_777_216));
        assert_eq!(
            declared_cells(&rec(0, u32::MAX, 0, 256)),
            Some(u64::from(u32::MAX) * 256)
        );
        // First row past the last: calamine's subtraction would wrap.
        assert_eq!(declared_cells(&rec(100, 5, 0, 6)), None);
        assert_eq!(declared_cells(&rec(0, 0, 0, 0)), Some(1));
    }

    #[test]
    fn not_a_compound_file() {
        assert!(Cfb::new(b"PK\x03\x04").is_none());
        let mut header = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        header.resize(512, 0xFF);
        assert!(guard(&header, &Limits::default()).is_err());
    }
}
