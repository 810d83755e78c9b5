//! Hostile input: a corpus of damaged and malicious workbooks built from a real template made
//! by the tool, a seeded mutation fuzz over it, and `huizong check` over the corpus folder.
//!
//! Every file must get an outcome whose findings name the file, and X01 (a panic caught in the
//! reader) must never appear: the tests in `tests/ingest.rs` that only said "did not panic"
//! could not fail while panics became S01. The fuzz seed is printed; rerun one with
//! `HUIZONG_FUZZ_SEED=<seed> HUIZONG_FUZZ_ITERS=<n> cargo test --test hostile fuzz -- --nocapture`.
//! The files in `tests/fixtures/hostile/` are the small cases of [`corpus`], written by
//! `cargo test --test hostile make_hostile_fixtures -- --ignored` (their README lists them).

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use huizong::diagnostic::Diagnostic;
use huizong::ingest::{self, Submission};
use huizong::sample::SampleOptions;
use huizong::schema::Schema;

const DISPLAY: &str = "收表/hostile.xlsx";
const CORE_SHEET: &str = "xl/worksheets/sheet2.xml";
const COVER_SHEET: &str = "xl/worksheets/sheet1.xml";
const STRINGS: &str = "xl/sharedStrings.xml";
const WORKBOOK: &str = "xl/workbook.xml";
const STYLES: &str = "xl/styles.xml";

// ---------------------------------------------------------------------------------------------
// The starting point: a clean township workbook written by the template writer

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| Schema::load(None).expect("embedded schema"))
}

/// The clean sample workbook of 411321-T01 城关镇 (2024), as `huizong sample --clean` writes it.
fn base() -> &'static [u8] {
    sample_file("T01")
}

/// The clean 2024 sample workbook whose file name contains `unit` (T01, D01, C01, X01).
fn sample_file(unit: &str) -> &'static [u8] {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    let files = FILES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = SampleOptions {
            units: Some(4),
            years: vec![2024],
            seed: 20241231,
            clean: true,
            ..SampleOptions::default()
        };
        let county = huizong::sample::generate(schema(), &opts);
        huizong::sample::write(schema(), &county, opts.seed, dir.path()).expect("sample");
        let year = dir.path().join("2024");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&year)
            .expect("year dir")
            .map(|e| {
                let p = e.expect("entry").path();
                let name = p.file_name().expect("name").to_string_lossy().into_owned();
                (name, std::fs::read(&p).expect("read"))
            })
            .collect();
        files.sort();
        files
    });
    files
        .iter()
        .find(|(n, _)| n.contains(unit))
        .map(|(_, b)| b.as_slice())
        .unwrap_or_else(|| panic!("no sample file for {unit}"))
}

fn read(bytes: Vec<u8>) -> (Option<Submission>, Vec<Diagnostic>) {
    ingest::read_bytes(bytes, DISPLAY, schema())
}

fn real_fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read(p).expect("fixture")
}

// ---------------------------------------------------------------------------------------------
// Zip by hand: entries, CRC-32, and a writer that may lie about anything

/// The base workbook's entries, unpacked once.
fn base_entries() -> &'static [(String, Vec<u8>)] {
    static E: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    E.get_or_init(|| entries(base()))
}

fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(Cursor::new(zip)).expect("zip");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).expect("entry");
            let name = f.name().expect("name").into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).expect("read");
            (name, data)
        })
        .collect()
}

fn crc32(data: &[u8]) -> u32 {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, b| {
        table[((c ^ u32::from(*b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// One entry as it goes into the archive: the (possibly compressed) bytes and what the headers
/// claim about them.
struct Raw {
    name: String,
    method: u16,
    data: Vec<u8>,
    crc: u32,
    size: u32,
}

impl Raw {
    fn stored(name: &str, data: Vec<u8>) -> Raw {
        Raw {
            name: name.to_owned(),
            method: 0,
            crc: crc32(&data),
            size: data.len() as u32,
            data,
        }
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A zip of `raws` exactly as given (duplicates, wrong CRCs and sizes included).
fn raw_zip(raws: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for r in raws {
        let offset = out.len() as u32;
        let name = r.name.as_bytes();
        put32(&mut out, 0x0403_4b50);
        for v in [20, 0x0800, r.method, 0, 0x21] {
            put16(&mut out, v);
        }
        for v in [r.crc, r.data.len() as u32, r.size] {
            put32(&mut out, v);
        }
        put16(&mut out, name.len() as u16);
        put16(&mut out, 0);
        out.extend_from_slice(name);
        out.extend_from_slice(&r.data);
        put32(&mut central, 0x0201_4b50);
        for v in [20, 20, 0x0800, r.method, 0, 0x21] {
            put16(&mut central, v);
        }
        for v in [r.crc, r.data.len() as u32, r.size] {
            put32(&mut central, v);
        }
        for v in [name.len() as u16, 0, 0, 0, 0] {
            put16(&mut central, v);
        }
        put32(&mut central, 0);
        put32(&mut central, offset);
        central.extend_from_slice(name);
    }
    let cd_offset = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    for v in [0, 0, raws.len() as u16, raws.len() as u16] {
        put16(&mut out, v);
    }
    put32(&mut out, cd_len);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    out
}

/// The base workbook's entries, stored, with `edit` applied to the raw list.
fn base_raw(edit: impl FnOnce(&mut Vec<Raw>)) -> Vec<u8> {
    let mut raws: Vec<Raw> = base_entries()
        .iter()
        .map(|(n, d)| Raw::stored(n, d.clone()))
        .collect();
    edit(&mut raws);
    raw_zip(&raws)
}

/// The base workbook with entry `name` replaced by `f(old bytes)` (re-deflated by the zip crate).
fn with_entry(name: &str, f: impl FnOnce(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(base())).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let entry = zin.by_index_raw(i).expect("entry");
        if entry.name().ok().as_deref() != Some(name) {
            // Unchanged entries keep their compressed bytes: deflating the whole workbook again
            // for each case at opt-level 0 was most of the test's time.
            out.raw_copy_file(entry).expect("copy");
            continue;
        }
        drop(entry);
        let (_, data) = base_entries()
            .iter()
            .find(|(n, _)| n == name)
            .expect("entry");
        let opts = zip::write::SimpleFileOptions::default().compression_level(Some(1));
        out.start_file(name, opts).expect("start");
        out.write_all(&f(data.clone())).expect("write");
        return finish_copy(zin, out, i + 1);
    }
    panic!("no entry {name}")
}

/// Copies the entries from `from` on unchanged and closes the archive.
fn finish_copy(
    mut zin: zip::ZipArchive<Cursor<&[u8]>>,
    mut out: zip::ZipWriter<Cursor<Vec<u8>>>,
    from: usize,
) -> Vec<u8> {
    for i in from..zin.len() {
        out.raw_copy_file(zin.by_index_raw(i).expect("entry"))
            .expect("copy");
    }
    out.finish().expect("finish").into_inner()
}

/// [`with_entry`] on the entry's text.
/// Panics when `f` changes nothing: a mutation that silently missed its target would turn a
/// hostile case into a clean one and the test could not fail.
fn with_text(name: &str, f: impl FnOnce(String) -> String) -> Vec<u8> {
    with_entry(name, |b| {
        let old = String::from_utf8(b).expect("utf-8");
        let new = f(old.clone());
        assert_ne!(old, new, "the mutation of {name} changed nothing");
        new.into_bytes()
    })
}

/// The sheet XML with the `<c r="{cell}" …>…</c>` element replaced by `new`.
fn replace_cell(xml: &str, cell: &str, new: &str) -> String {
    let start = xml
        .find(&format!("<c r=\"{cell}\""))
        .unwrap_or_else(|| panic!("no cell {cell}"));
    let gt = start + xml[start..].find('>').expect("tag end");
    let end = if xml.as_bytes()[gt - 1] == b'/' {
        gt + 1
    } else {
        gt + xml[gt..].find("</c>").expect("cell end") + 4
    };
    format!("{}{new}{}", &xml[..start], &xml[end..])
}

// ---------------------------------------------------------------------------------------------
// A deflate bomb without compressing anything: fixed-Huffman blocks written bit by bit

struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn new() -> Bits {
        Bits {
            out: Vec::new(),
            acc: 0,
            n: 0,
        }
    }

    fn put(&mut self, v: u32, len: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += len;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code goes in most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let rev = code.reverse_bits() >> (32 - len);
        self.put(rev, len);
    }

    fn literal(&mut self, b: u8) {
        if b < 144 {
            self.code(0x30 + u32::from(b), 8);
        } else {
            self.code(0x190 + u32::from(b) - 144, 9);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        self.code(0, 7); // end of block (256)
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Raw deflate of `prefix`, then `run` copies of `fill`, then `suffix`: about 159:1 on the run.
fn deflate_bomb(prefix: &[u8], fill: u8, run: usize, suffix: &[u8]) -> (Vec<u8>, usize) {
    let mut b = Bits::new();
    b.put(1, 1); // last block
    b.put(1, 2); // fixed Huffman
    for &c in prefix {
        b.literal(c);
    }
    b.literal(fill);
    let repeats = (run - 1) / 258;
    for _ in 0..repeats {
        b.code(0b1100_0101, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1
    }
    let done = 1 + repeats * 258;
    for _ in done..run {
        b.literal(fill);
    }
    for &c in suffix {
        b.literal(c);
    }
    (b.finish(), prefix.len() + run + suffix.len())
}

/// The base workbook with `entry` replaced by a deflate bomb; the headers claim `claimed` bytes
/// (`None`: the true size) and a CRC of nothing.
fn bomb(entry: &str, prefix: &str, run: usize, suffix: &str, claimed: Option<u32>) -> Vec<u8> {
    let (data, size) = deflate_bomb(prefix.as_bytes(), b' ', run, suffix.as_bytes());
    base_raw(|raws| {
        for r in raws.iter_mut().filter(|r| r.name == entry) {
            r.method = 8;
            r.data = data.clone();
            r.size = claimed.unwrap_or(size as u32);
            r.crc = 0;
        }
    })
}

// ---------------------------------------------------------------------------------------------
// The corpus

/// One hostile file: a name that says what was done, its kind, and its bytes.
struct Case {
    name: String,
    kind: &'static str,
    bytes: Vec<u8>,
}

fn case(kind: &'static str, name: impl Into<String>, bytes: Vec<u8>) -> Case {
    Case {
        name: name.into(),
        kind,
        bytes,
    }
}

/// The central-directory records of a zip: (offset of the record, name).
fn central_records(zip: &[u8]) -> Vec<(usize, String)> {
    let eocd = zip
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("eocd");
    let u16_at = |o: usize| u16::from_le_bytes([zip[o], zip[o + 1]]) as usize;
    let u32_at =
        |o: usize| u32::from_le_bytes([zip[o], zip[o + 1], zip[o + 2], zip[o + 3]]) as usize;
    let mut at = u32_at(eocd + 16);
    let mut out = Vec::new();
    for _ in 0..u16_at(eocd + 10) {
        let name_len = u16_at(at + 28);
        let name = String::from_utf8_lossy(&zip[at + 46..at + 46 + name_len]).into_owned();
        out.push((at, name));
        at += 46 + name_len + u16_at(at + 30) + u16_at(at + 32);
    }
    out
}

/// The base zip with a 32-bit field of `entry`'s central record (at `field`) set to `v`.
fn central_field(entry: &str, field: usize, v: u32) -> Vec<u8> {
    let mut b = base().to_vec();
    let (at, _) = central_records(&b)
        .into_iter()
        .find(|(_, n)| n == entry)
        .expect("entry");
    b[at + field..at + field + 4].copy_from_slice(&v.to_le_bytes());
    b
}

fn zip_cases() -> Vec<Case> {
    let b = base();
    let mut out = Vec::new();
    for pct in [1, 10, 50, 90, 99] {
        let cut = b.len() * pct / 100;
        out.push(case(
            "zip",
            format!("truncated-{pct}pct"),
            b[..cut].to_vec(),
        ));
    }
    out.push(case("zip", "truncated-eocd", b[..b.len() - 10].to_vec()));
    out.push(case("zip", "only-local-headers", {
        let cd = central_records(b)[0].0;
        b[..cd].to_vec()
    }));
    // Central record fields: 16 CRC, 20 compressed size, 24 uncompressed size, 42 local offset.
    out.push(case(
        "zip",
        "bad-crc-data-sheet",
        central_field(CORE_SHEET, 16, 0xDEAD_BEEF),
    ));
    out.push(case(
        "zip",
        "bad-crc-strings",
        central_field(STRINGS, 16, 0),
    ));
    out.push(case(
        "zip",
        "wrong-size-zero",
        central_field(CORE_SHEET, 24, 0),
    ));
    out.push(case(
        "zip",
        "wrong-size-small",
        central_field(CORE_SHEET, 24, 100),
    ));
    out.push(case(
        "zip",
        "wrong-compressed-size",
        central_field(CORE_SHEET, 20, 7),
    ));
    out.push(case(
        "zip",
        "huge-declared-size",
        central_field(CORE_SHEET, 24, u32::MAX - 1),
    ));
    out.push(case(
        "zip",
        "huge-compressed-size",
        central_field(CORE_SHEET, 20, u32::MAX - 1),
    ));
    out.push(case(
        "zip",
        "local-offset-past-end",
        central_field(CORE_SHEET, 42, u32::MAX - 1),
    ));
    out.push(case("zip", "all-sizes-huge", {
        base_raw(|raws| raws.iter_mut().for_each(|r| r.size = u32::MAX))
    }));
    out.push(case("zip", "stored-entries", base_raw(|_| {})));
    out.push(case("zip", "duplicate-data-sheet", {
        base_raw(|raws| {
            let i = raws
                .iter()
                .position(|r| r.name == CORE_SHEET)
                .expect("sheet");
            let copy = Raw::stored(CORE_SHEET, b"<worksheet/>".to_vec());
            raws.insert(i + 1, copy);
        })
    }));
    out.push(case("zip", "duplicate-workbook", {
        base_raw(|raws| {
            raws.insert(
                0,
                Raw::stored(WORKBOOK, b"<workbook><sheets/></workbook>".to_vec()),
            )
        })
    }));
    out.push(case("zip", "missing-data-sheet", {
        base_raw(|raws| raws.retain(|r| r.name != CORE_SHEET))
    }));
    out.push(case(
        "zip",
        "missing-strings",
        base_raw(|raws| raws.retain(|r| r.name != STRINGS)),
    ));
    out.push(case("zip", "method-unknown", {
        base_raw(|raws| raws.iter_mut().for_each(|r| r.method = 99))
    }));
    out.push(case("zip", "deflate-garbage", {
        base_raw(|raws| {
            for r in raws.iter_mut().filter(|r| r.name == CORE_SHEET) {
                r.method = 8;
                r.data = vec![0xFF; 64];
            }
        })
    }));
    out.push(case("zip", "nested-zip-as-sheet", {
        base_raw(|raws| {
            for r in raws.iter_mut().filter(|r| r.name == CORE_SHEET) {
                *r = Raw::stored(CORE_SHEET, base().to_vec());
            }
        })
    }));
    out.push(case(
        "zip",
        "xlsx-inside-a-zip",
        raw_zip(&[Raw::stored("城关镇.xlsx", b.to_vec())]),
    ));
    out.push(case("zip", "many-tiny-entries", {
        base_raw(|raws| {
            for i in 0..6000 {
                raws.push(Raw::stored(&format!("x/{i}"), Vec::new()));
            }
        })
    }));
    // Bombs: 8 MB of spaces inside the data sheet's XML, honest and lying headers; 64 MB in a
    // shared string with a lying header (read into memory by the parser if nothing bounds it).
    let sheet_prefix = "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>";
    out.push(case("zip", "bomb-sheet-honest-300mb", {
        bomb(
            CORE_SHEET,
            sheet_prefix,
            300 << 20,
            "</sheetData></worksheet>",
            None,
        )
    }));
    out.push(case("zip", "bomb-sheet-lying-8mb", {
        bomb(
            CORE_SHEET,
            sheet_prefix,
            8 << 20,
            "</sheetData></worksheet>",
            Some(4000),
        )
    }));
    out.push(case("zip", "bomb-strings-lying-64mb", {
        let prefix = "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>";
        bomb(STRINGS, prefix, 64 << 20, "</t></si></sst>", Some(10_000))
    }));
    out
}

/// Sheets in `workbook-many-sheets`, all pointing at the data sheet. 10,000 took 36 s in debug
/// (each is parsed again; no bound on the number of sheets): see `many_sheets_are_bounded`.
const MANY_SHEETS: usize = 100;

/// `uniqueCount` of sharedStrings.xml that calamine reserves before reading a string.
const STRINGS_COUNT_LIE: &str = "4000000000";

fn xml_cases(seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed ^ 0x5EED);
    let mut out = Vec::new();
    // 1 MB of letters at random: incompressible enough to pass the ratio check and reach the
    // XML parser.
    let big: String = (0..(1 << 20) / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .map(|b| char::from(b'a' + b % 26))
        .collect();
    for entry in [CORE_SHEET, COVER_SHEET, STRINGS, WORKBOOK, STYLES] {
        let short = entry
            .rsplit('/')
            .next()
            .unwrap_or(entry)
            .trim_end_matches(".xml");
        let len = base_entries()
            .iter()
            .find(|(n, _)| n == entry)
            .map(|(_, d)| d.len())
            .expect("entry");
        for _ in 0..3 {
            let cut = rng.below(len);
            out.push(case(
                "xml",
                format!("{short}-truncated-at-{cut}"),
                with_entry(entry, |d| d[..cut].to_vec()),
            ));
        }
        out.push(case(
            "xml",
            format!("{short}-no-closing-tags"),
            with_text(entry, |x| {
                let mut keep = String::new();
                let mut rest = x.as_str();
                while let Some(i) = rest.find("</") {
                    keep.push_str(&rest[..i]);
                    rest = &rest[i + 2..];
                    rest = rest.split_once('>').map_or("", |(_, r)| r);
                }
                keep + rest
            }),
        ));
        out.push(case(
            "xml",
            format!("{short}-invalid-utf8"),
            with_entry(entry, |mut d| {
                let at = d.len() / 2;
                d.splice(at..at, [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80]);
                d
            }),
        ));
        out.push(case(
            "xml",
            format!("{short}-billion-laughs"),
            with_text(entry, |x| {
                let dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]>";
                let x = x.replacen("?>", &format!("?>{dtd}"), 1);
                x.replacen("<t>", "<t>&lol9;", 1).replacen("<v>", "<v>&lol9;", 1)
            }),
        ));
        out.push(case(
            "xml",
            format!("{short}-huge-attribute"),
            with_text(entry, |x| {
                // Into the first element after the XML declaration.
                let at = x.find("?>").map_or(0, |i| i + 2);
                let gt = at + x[at..].find('>').unwrap_or(0);
                format!("{} huge=\"{big}\"{}", &x[..gt], &x[gt..])
            }),
        ));
    }
    // Cell addresses and indices.
    let sheet_case = |name: &str, f: &dyn Fn(String) -> String| {
        case("xml", name.to_owned(), with_text(CORE_SHEET, f))
    };
    out.push(sheet_case("cell-XFD1048576", &|x| {
        x.replacen(
            "</sheetData>",
            "<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row></sheetData>",
            1,
        )
    }));
    out.push(sheet_case("cell-past-XFD", &|x| {
        x.replacen(
            "</sheetData>",
            "<row r=\"1048577\"><c r=\"XFE1048577\"><v>1</v></c></row></sheetData>",
            1,
        )
    }));
    out.push(sheet_case("cell-r-garbage", &|x| {
        replace_cell(&x, "D5", "<c r=\"D-5\"><v>5</v></c>")
    }));
    out.push(sheet_case("row-r-huge", &|x| {
        x.replacen("<row r=\"5\"", "<row r=\"4294967295\"", 1)
    }));
    out.push(sheet_case("row-r-zero", &|x| {
        x.replacen("<row r=\"5\"", "<row r=\"0\"", 1)
    }));
    out.push(sheet_case("dimension-huge", &|x| {
        let a = x.find("<dimension ref=\"").expect("dimension") + "<dimension ref=\"".len();
        let b = a + x[a..].find('"').expect("dimension end");
        format!("{}A1:XFD1048576{}", &x[..a], &x[b..])
    }));
    for (label, v) in [
        ("sst-index-negative", "-1"),
        ("sst-index-one-past", "100000"),
        ("sst-index-u32-overflow", "4294967296"),
        ("sst-index-huge", "99999999999999999999999"),
        ("sst-index-fraction", "1.5"),
        ("sst-index-empty", ""),
    ] {
        out.push(sheet_case(label, &|x| {
            replace_cell(&x, "A5", &format!("<c r=\"A5\" t=\"s\"><v>{v}</v></c>"))
        }));
    }
    for (label, s) in [
        ("style-out-of-range", "99999"),
        ("style-negative", "-1"),
        ("style-text", "x"),
    ] {
        out.push(sheet_case(label, &|x| {
            replace_cell(&x, "D5", &format!("<c r=\"D5\" s=\"{s}\"><v>5</v></c>"))
        }));
    }
    out.push(case(
        "xml",
        "styles-numfmt-huge-id",
        with_text(STYLES, |x| {
            x.replace("numFmtId=\"164\"", "numFmtId=\"4294967295\"")
        }),
    ));
    out.push(case(
        "xml",
        "styles-cellxfs-empty",
        with_text(STYLES, |x| {
            let a = x.find("<cellXfs").expect("cellXfs");
            let b = x.find("</cellXfs>").expect("cellXfs end") + "</cellXfs>".len();
            format!("{}<cellXfs count=\"0\"/>{}", &x[..a], &x[b..])
        }),
    ));
    out.push(case(
        "xml",
        "workbook-sheet-rid-dangling",
        with_text(WORKBOOK, |x| x.replace("r:id=\"rId2\"", "r:id=\"rId99\"")),
    ));
    out.push(case(
        "xml",
        "workbook-duplicate-sheet-names",
        with_text(WORKBOOK, |x| x.replace("name=\"封面\"", "name=\"统计表\"")),
    ));
    out.push(case(
        "xml",
        "workbook-many-sheets",
        with_text(WORKBOOK, |x| {
            let many: String = (0..10_000)
                .map(|i| {
                    format!(
                        "<sheet name=\"s{i}\" sheetId=\"{}\" r:id=\"rId2\"/>",
                        i + 10
                    )
                })
                .take(MANY_SHEETS)
                .collect();
            x.replacen("</sheets>", &format!("{many}</sheets>"), 1)
        }),
    ));
    out
}

/// Values typed into 城关镇's ZL01 本年数 cell (D5, a count) or its 单位代码 (cover B3).
fn value_cases() -> Vec<Case> {
    let number = |v: &str| format!("<c r=\"D5\" s=\"9\"><v>{v}</v></c>");
    let inline = |v: &str| format!("<c r=\"D5\" t=\"inlineStr\"><is><t>{v}</t></is></c>");
    let mut cells: Vec<(String, String)> = [
        "1e308",
        "-1e308",
        "1e309",
        "-0",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "Infinity",
        "1e-320",
        "4.9e-324",
        "9007199254740993",
        "123456789012345678",
        "0x10",
        "",
        " 5 ",
        "5e",
        "--5",
        "1,000",
    ]
    .iter()
    .map(|v| (format!("number-{v}"), number(v)))
    .collect();
    cells.extend(
        [
            "NaN",
            "inf",
            "-inf",
            "1e308",
            "1e309",
            "123456789012345678",
            "1e-320",
            "-0",
        ]
        .iter()
        .map(|v| (format!("text-{v}"), inline(v))),
    );
    cells.extend([
        (
            "bool-2".to_owned(),
            "<c r=\"D5\" t=\"b\"><v>2</v></c>".to_owned(),
        ),
        (
            "error-div0".to_owned(),
            "<c r=\"D5\" t=\"e\"><v>#DIV/0!</v></c>".to_owned(),
        ),
        (
            "date-garbage".to_owned(),
            "<c r=\"D5\" t=\"d\"><v>not a date</v></c>".to_owned(),
        ),
        (
            "date-huge".to_owned(),
            "<c r=\"D5\" s=\"9\" t=\"d\"><v>99999-01-01</v></c>".to_owned(),
        ),
        (
            "type-unknown".to_owned(),
            "<c r=\"D5\" t=\"zz\"><v>5</v></c>".to_owned(),
        ),
        (
            "formula-no-cache".to_owned(),
            "<c r=\"D5\"><f>1/0</f></c>".to_owned(),
        ),
    ]);
    let mut out: Vec<Case> = cells
        .into_iter()
        .map(|(label, cell)| {
            case(
                "value",
                label,
                with_text(CORE_SHEET, |x| replace_cell(&x, "D5", &cell)),
            )
        })
        .collect();
    for (label, v) in [
        (
            "cover-code-18-digits",
            "<c r=\"B3\"><v>411321000000000001</v></c>",
        ),
        ("cover-year-1e308", "<c r=\"B6\"><v>1e308</v></c>"),
        (
            "cover-year-nan",
            "<c r=\"B6\" t=\"inlineStr\"><is><t>NaN</t></is></c>",
        ),
        ("cover-year-negative", "<c r=\"B6\"><v>-2024</v></c>"),
        (
            "cover-date-serial-huge",
            "<c r=\"B7\" s=\"1\"><v>1e300</v></c>",
        ),
    ] {
        out.push(case(
            "value",
            label,
            with_text(COVER_SHEET, |x| replace_cell(&x, &cell_of(&x, label), v)),
        ));
    }
    out
}

/// The cover cell a `cover-*` case replaces (B3 单位代码, B6 统计年度, B7 截止日期), checked to
/// exist in the cover XML.
fn cell_of(xml: &str, label: &str) -> String {
    let cell = if label.contains("code") {
        "B3"
    } else if label.contains("year") {
        "B6"
    } else {
        "B7"
    };
    assert!(
        xml.contains(&format!("<c r=\"{cell}\"")),
        "cover has no {cell}"
    );
    cell.to_owned()
}

fn legacy_cases(seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed ^ 0x0D5);
    let mut out = Vec::new();
    for (kind, file) in [
        ("xls", "submission.xls"),
        ("xls", "messy.xls"),
        ("ods", "submission.ods"),
    ] {
        let b = real_fixture(file);
        out.push(case(kind, format!("{file}-as-is"), b.clone()));
        for pct in [5, 50, 95] {
            out.push(case(
                kind,
                format!("{file}-truncated-{pct}pct"),
                b[..b.len() * pct / 100].to_vec(),
            ));
        }
        for i in 0..4 {
            let mut m = b.clone();
            for _ in 0..(1 + rng.below(8)) {
                let at = rng.below(m.len());
                m[at] = rng.next() as u8;
            }
            out.push(case(kind, format!("{file}-bytes-{i}"), m));
        }
    }
    // The OLE header's sector shift and FAT counts, lied about.
    let xls = real_fixture("submission.xls");
    for (label, at, v) in [
        ("sector-shift-huge", 30, 0xFFu8),
        ("fat-count-huge", 44, 0xFF),
        ("dir-start-huge", 48, 0xFF),
    ] {
        let mut m = xls.clone();
        m[at] = v;
        m[at + 1] = v;
        out.push(case("xls", format!("xls-header-{label}"), m));
    }
    out
}

fn corpus(seed: u64) -> Vec<Case> {
    let mut all = zip_cases();
    all.extend(xml_cases(seed));
    all.extend(value_cases());
    all.extend(legacy_cases(seed));
    all
}

// ---------------------------------------------------------------------------------------------
// Checking one outcome

/// splitmix64: small, seedable, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The property every hostile file must have; returns a description of what broke.
fn judge(sub: &Option<Submission>, diags: &[Diagnostic]) -> Result<(), String> {
    if let Some(d) = diags.iter().find(|d| d.code == "X01") {
        return Err(format!("X01 (a panic in the reader): {}", d.message));
    }
    if sub.is_none() && diags.is_empty() {
        return Err("no submission and no finding".into());
    }
    if let Some(d) = diags
        .iter()
        .find(|d| d.location.file != DISPLAY || d.message.is_empty())
    {
        return Err(format!(
            "a finding that does not name the file: {}",
            d.render_concise()
        ));
    }
    if sub.is_none()
        && !(diags.len() == 1 && ["S01", "S02", "S09"].contains(&diags[0].code.as_str()))
    {
        return Err(format!(
            "an unreadable file needs one S01/S02/S09: {diags:#?}"
        ));
    }
    Ok(())
}

fn outcome_line(sub: &Option<Submission>, diags: &[Diagnostic]) -> String {
    let mut codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    codes.dedup();
    format!(
        "{} {}",
        if sub.is_some() { "read" } else { "refused" },
        codes.join(",")
    )
}

/// Numbers in a submission are finite: NaN or infinity would poison every sum silently.
fn finite(sub: &Option<Submission>) -> Result<(), String> {
    let bad = sub.iter().flat_map(|s| s.values.iter()).find(|(_, c)| {
        c.value.number().is_some_and(|v| !v.is_finite())
            || c.prior_shown.is_some_and(|v| !v.is_finite())
    });
    match bad {
        Some((code, c)) => Err(format!("{code} read as {:?}", c.value)),
        None => Ok(()),
    }
}

/// What some cases must come to, exactly: (case, read?, a code that must be there ("" = no
/// findings at all), the cell it must point at).
const EXPECTED: &[(&str, bool, &str, &str)] = &[
    ("stored-entries", true, "", ""),
    ("truncated-50pct", false, "S01", ""),
    ("truncated-eocd", false, "S01", ""),
    ("only-local-headers", false, "S01", ""),
    ("huge-declared-size", false, "S09", ""),
    ("all-sizes-huge", false, "S09", ""),
    ("many-tiny-entries", false, "S09", ""),
    ("bomb-sheet-honest-300mb", false, "S09", ""),
    ("bomb-sheet-lying-8mb", false, "S01", ""),
    ("bomb-strings-lying-64mb", false, "S01", ""),
    ("xlsx-inside-a-zip", false, "S01", ""),
    ("nested-zip-as-sheet", false, "S01", ""),
    ("missing-data-sheet", false, "S01", ""),
    ("method-unknown", false, "S01", ""),
    ("cell-XFD1048576", false, "S09", ""),
    ("dimension-huge", true, "", ""), // a declared range is not a cell: read by the cells present (issue 12)
    ("sst-index-negative", true, "S06", ""),
    ("sst-index-one-past", false, "S01", ""),
    ("style-out-of-range", true, "", ""),
    ("styles-cellxfs-empty", true, "", ""),
    ("workbook-duplicate-sheet-names", true, "S04", ""),
    ("number-NaN", true, "V01", "D5"),
    ("number-inf", true, "V01", "D5"),
    ("number-1e309", true, "V01", "D5"),
    ("number--1e308", true, "V01", "D5"),
    ("text-NaN", true, "V02", "D5"),
    ("text-inf", true, "V02", "D5"),
    ("text-1e308", true, "V02", "D5"),
    ("error-div0", true, "V01", "D5"),
    ("formula-no-cache", true, "V01", "D5"),
    ("cover-year-nan", true, "S03", ""),
    ("submission.ods-as-is", true, "S06", ""),
    ("submission.xls-as-is", true, "S06", ""),
];

fn expect_exactly(
    name: &str,
    sub: &Option<Submission>,
    diags: &[Diagnostic],
) -> Result<(), String> {
    let Some(&(_, read, code, cell)) = EXPECTED.iter().find(|e| e.0 == name) else {
        return Ok(());
    };
    if sub.is_some() != read {
        return Err(format!("expected read={read}: {diags:#?}"));
    }
    if code.is_empty() {
        return match diags.is_empty() {
            true => Ok(()),
            false => Err(format!("expected no findings: {diags:#?}")),
        };
    }
    let hit = diags
        .iter()
        .find(|d| d.code == code)
        .ok_or(format!("expected {code}: {diags:#?}"))?;
    if !cell.is_empty() {
        let at = hit.location.cell.map(|c| c.a1()).unwrap_or_default();
        if at != cell || hit.location.sheet.as_deref() != Some("统计表") {
            return Err(format!(
                "{code} should point at 统计表!{cell}: {}",
                hit.render_concise()
            ));
        }
    }
    Ok(())
}

/// The worst single read of a hostile file (debug build); a loop or unbounded work shows here.
const MAX_READ: Duration = Duration::from_secs(10);

#[test]
fn every_corpus_file_gets_an_honest_outcome() {
    let seed = 20241231;
    let built = Instant::now();
    let cases = corpus(seed);
    println!("corpus built in {:?}", built.elapsed());
    let mut failures = Vec::new();
    let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
    let (mut worst, mut worst_name) = (Duration::ZERO, String::new());
    for c in &cases {
        let t = Instant::now();
        let (sub, diags) = read(c.bytes.clone());
        let took = t.elapsed();
        if took > worst {
            (worst, worst_name) = (took, c.name.clone());
        }
        *tally
            .entry(format!("{} {}", c.kind, outcome_line(&sub, &diags)))
            .or_default() += 1;
        let verdict = judge(&sub, &diags)
            .and_then(|()| finite(&sub))
            .and_then(|()| expect_exactly(&c.name, &sub, &diags))
            .and_then(|()| match took > MAX_READ {
                true => Err(format!("took {took:?}")),
                false => Ok(()),
            });
        if let Err(e) = verdict {
            failures.push(format!("{} ({}): {e}", c.name, c.kind));
        }
    }
    for (k, n) in &tally {
        println!("{n:4}  {k}");
    }
    println!("{} files, worst read {worst:?} ({worst_name})", cases.len());
    // Every EXPECTED name is a real case (a renamed case must not silently drop its check).
    for (name, ..) in EXPECTED {
        assert!(cases.iter().any(|c| c.name == *name), "no case {name}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Seeded mutation fuzz

/// Tokens that hurt XML readers, spliced in at random.
const TOKENS: &[&str] = &[
    "</row>",
    "</c>",
    "<c r=\"XFD1048576\"><v>1</v></c>",
    " t=\"s\"",
    "<v>-1</v>",
    "<v>4294967296</v>",
    " s=\"65535\"",
    "&lol;",
    "&#0;",
    "&#xFFFFFFFF;",
    "<![CDATA[",
    "<!DOCTYPE x [<!ENTITY e \"e\">]>",
    "<v>1e308</v>",
    "<v>NaN</v>",
    "<row r=\"0\">",
    "<c r=\"A0\">",
    "\u{FEFF}",
    "<?xml version=\"1.0\"?>",
    "<sheetData>",
    "<si><t>x</t></si>",
    "<sheet name=\"统计表\" sheetId=\"9\" r:id=\"rId2\"/>",
];

/// One random mutation of `bytes`: a description and the new bytes.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let len = bytes.len().max(1);
    match rng.below(6) {
        0 => {
            let at = rng.below(len);
            bytes.truncate(at);
            format!("truncate@{at}")
        }
        1 => {
            let at = rng.below(len);
            let n = 1 + rng.below(64);
            let end = (at + n).min(bytes.len());
            bytes.drain(at.min(end)..end);
            format!("delete@{at}+{n}")
        }
        2 => {
            let at = rng.below(len);
            let n = 1 + rng.below(256);
            let end = (at + n).min(bytes.len());
            let chunk = bytes[at.min(end)..end].to_vec();
            bytes.splice(at.min(end)..at.min(end), chunk);
            format!("duplicate@{at}+{n}")
        }
        3 => {
            let at = rng.below(len).min(bytes.len());
            let t = TOKENS[rng.below(TOKENS.len())];
            bytes.splice(at..at, t.bytes());
            format!("insert@{at}:{t}")
        }
        4 => {
            let at = rng.below(len).min(bytes.len().saturating_sub(1));
            let v = rng.next() as u8;
            if let Some(b) = bytes.get_mut(at) {
                *b = v;
            }
            format!("byte@{at}={v:#04x}")
        }
        _ => {
            let at = rng.below(len).min(bytes.len());
            let digits: String = (0..1 + rng.below(40))
                .map(|_| (b'0' + rng.below(10) as u8) as char)
                .collect();
            bytes.splice(at..at, digits.bytes());
            format!("digits@{at}")
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn seeded_mutations_never_reach_a_panic() {
    let seed = env_u64("HUIZONG_FUZZ_SEED").unwrap_or(20241231);
    let iters = env_u64("HUIZONG_FUZZ_ITERS").unwrap_or(240) as usize;
    let budget = Duration::from_secs(env_u64("HUIZONG_FUZZ_SECS").unwrap_or(6));
    println!("fuzz seed {seed} (HUIZONG_FUZZ_SEED), up to {iters} iterations in {budget:?}");
    let targets = [CORE_SHEET, COVER_SHEET, STRINGS, WORKBOOK, STYLES, "(zip)"];
    let start = Instant::now();
    let mut done = 0;
    let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
    let mut worst = Duration::ZERO;
    let mut failures = Vec::new();
    for i in 0..iters {
        if start.elapsed() > budget {
            break;
        }
        // Each iteration has its own generator: a failure names (seed, i) and replays alone.
        let mut rng = Rng::new(seed.wrapping_mul(0x1000_0001).wrapping_add(i as u64));
        let target = targets[rng.below(targets.len())];
        let mut ops = Vec::new();
        let bytes = if target == "(zip)" {
            let mut b = base().to_vec();
            for _ in 0..1 + rng.below(4) {
                ops.push(mutate(&mut rng, &mut b));
            }
            b
        } else {
            let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            for (n, d) in base_entries() {
                let mut d = d.clone();
                if n == target {
                    for _ in 0..1 + rng.below(4) {
                        ops.push(mutate(&mut rng, &mut d));
                    }
                }
                out.start_file(n.as_str(), opts).expect("start");
                out.write_all(&d).expect("write");
            }
            out.finish().expect("finish").into_inner()
        };
        let t = Instant::now();
        let (sub, diags) = read(bytes);
        worst = worst.max(t.elapsed());
        *tally.entry(outcome_line(&sub, &diags)).or_default() += 1;
        if let Err(e) = judge(&sub, &diags).and_then(|()| finite(&sub)) {
            failures.push(format!("seed {seed} iteration {i}: {target} {ops:?}: {e}"));
        }
        done += 1;
    }
    for (k, n) in &tally {
        println!("{n:4}  {k}");
    }
    println!(
        "{done} mutated files in {:?}, worst read {worst:?}",
        start.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(done >= 20, "only {done} iterations ran in the budget");
}

// ---------------------------------------------------------------------------------------------
// The corpus in the repository, and `huizong check` over it

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

/// The cases kept as files in `tests/fixtures/hostile/` (small ones, each a bad file), with
/// how each was made, for the README.
const FIXTURES: &[(&str, &str)] = &[
    ("truncated-50pct", "the base workbook cut to its first half"),
    ("truncated-eocd", "the last 10 bytes (end of the central directory) cut off"),
    ("only-local-headers", "everything from the central directory on removed"),
    ("wrong-size-small", "central directory: the data sheet's uncompressed size set to 100"),
    ("wrong-compressed-size", "central directory: the data sheet's compressed size set to 7"),
    ("huge-declared-size", "central directory: the data sheet's uncompressed size set to 4294967294"),
    ("local-offset-past-end", "central directory: the data sheet's local header offset past the end"),
    ("duplicate-data-sheet", "entries stored; a second xl/worksheets/sheet2.xml (`<worksheet/>`) after the real one"),
    ("missing-data-sheet", "entries stored; xl/worksheets/sheet2.xml left out"),
    ("method-unknown", "entries stored; every entry's compression method set to 99"),
    ("deflate-garbage", "the data sheet entry: method deflate, 64 bytes of 0xFF"),
    ("nested-zip-as-sheet", "the data sheet entry replaced by the whole base workbook"),
    ("xlsx-inside-a-zip", "a zip holding the base workbook as 城关镇.xlsx"),
    ("bomb-sheet-lying-8mb", "the data sheet: hand-made fixed-Huffman deflate of 8 MB of spaces, headers claim 4000 bytes"),
    ("sheet2-no-closing-tags", "the data sheet XML with every closing tag removed"),
    ("sharedStrings-invalid-utf8", "bytes FF FE C0 80 ED A0 80 inserted in the middle of sharedStrings.xml"),
    ("sharedStrings-billion-laughs", "a billion-laughs DTD in sharedStrings.xml, `&lol9;` in the first string"),
    ("cell-XFD1048576", "a cell r=\"XFD1048576\" appended to the data sheet"),
    ("dimension-huge", "the data sheet's dimension set to A1:XFD1048576"),
    ("sst-index-one-past", "A5 (the code ZL01) made a shared string with index 100000"),
    ("sst-index-negative", "A5 (the code ZL01) made a shared string with index -1"),
    ("workbook-sheet-rid-dangling", "workbook.xml: the data sheet's r:id points at rId99"),
    ("number-NaN", "D5 (ZL01 本年数) holds `<v>NaN</v>`"),
    ("number-1e309", "D5 holds `<v>1e309</v>` (infinite as a double)"),
    ("text-inf", "D5 holds the inline string `inf`"),
    ("error-div0", "D5 holds the error value #DIV/0!"),
    ("formula-no-cache", "D5 holds the formula 1/0 with no cached value"),
    ("cover-year-nan", "the cover's 统计年度 (B6) holds the inline string `NaN`"),
    ("submission.xls-truncated-50pct", "tests/fixtures/real/submission.xls cut to its first half"),
    ("submission.ods-truncated-50pct", "tests/fixtures/real/submission.ods cut to its first half"),
];

fn fixture_file_name(name: &str, kind: &str) -> String {
    let ext = match kind {
        "xls" | "ods" => kind,
        _ => "xlsx",
    };
    let stem = name
        .trim_end_matches(".xls")
        .replace(".xls-", "-xls-")
        .replace(".ods-", "-ods-");
    format!("{stem}.{ext}")
}

/// Writes `tests/fixtures/hostile/` and its README from [`FIXTURES`].
#[test]
#[ignore]
fn make_hostile_fixtures() {
    let dir = fixtures_dir();
    std::fs::create_dir_all(&dir).expect("dir");
    let cases = corpus(20241231);
    let mut readme = String::from(
        "# Hostile workbooks\n\n\
         Damaged and malicious files for `tests/hostile.rs` (`huizong check` over this folder must\n\
         exit 1, print one line per file and never X01). Each is made from the clean sample workbook\n\
         of 411321-T01 城关镇 (2024) that `huizong sample --units 4 --years 2024 --clean` writes\n\
         (seed 20241231), or from `tests/fixtures/real/`, by\n\
         `cargo test --test hostile make_hostile_fixtures -- --ignored` (the code is `corpus()`).\n\
         \"Entries stored\" means the archive was rewritten by hand with uncompressed entries.\n\n\
         | file | how it was made |\n|---|---|\n",
    );
    for (name, how) in FIXTURES {
        let c = cases
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("no case {name}"));
        let file = fixture_file_name(name, c.kind);
        assert!(c.bytes.len() < 200_000, "{file} is not small");
        std::fs::write(dir.join(&file), &c.bytes).expect("write");
        readme.push_str(&format!("| `{file}` | {how} |\n"));
    }
    std::fs::write(dir.join("README.md"), readme).expect("readme");
}

/// The fixture files: every one is listed in the README, and every listed one exists.
fn fixture_files() -> Vec<String> {
    let readme = std::fs::read_to_string(fixtures_dir().join("README.md")).expect("README");
    let mut files: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    files.sort();
    for f in &files {
        assert!(
            readme.contains(&format!("| `{f}` |")),
            "{f} is not in the README"
        );
    }
    assert_eq!(
        files.len(),
        readme.matches("| `").count(),
        "README lists a missing file"
    );
    assert_eq!(files.len(), FIXTURES.len());
    files
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("huizong")
}

/// `huizong <args>` under `prlimit --as=2000000000` when prlimit exists (bounded memory: a
/// file that makes the reader allocate without bound fails the run instead of the machine),
/// killed after `limit`. Returns (exit code, stdout, stderr, wall time).
fn run_bounded(
    cwd: &Path,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &str)],
    limit: Duration,
) -> (Option<i32>, String, String, Duration) {
    let has_prlimit = std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut cmd = if has_prlimit {
        let mut c = std::process::Command::new("prlimit");
        c.arg("--as=2000000000").arg("--").arg(bin());
        c
    } else {
        eprintln!("note: prlimit not found, memory not bounded");
        std::process::Command::new(bin())
    };
    cmd.args(args)
        .current_dir(cwd)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn huizong");
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("huizong {args:?} did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    let stdout = t_out.join().expect("stdout thread");
    let stderr = t_err.join().expect("stderr thread");
    (status.code(), stdout, stderr, took)
}

#[test]
fn check_over_the_hostile_folder_names_every_file_and_keeps_a_clean_one_clean() {
    let files = fixture_files();
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("收表");
    std::fs::create_dir(&dir).expect("dir");
    for f in &files {
        std::fs::copy(fixtures_dir().join(f), dir.join(f)).expect("copy");
    }
    let clean = "411321-D01_县公安局_2024.xlsx";
    std::fs::write(dir.join(clean), sample_file("D01")).expect("clean");
    let (code, stdout, stderr, took) = run_bounded(
        tmp.path(),
        &["check".as_ref(), "收表".as_ref()],
        &[],
        Duration::from_secs(120),
    );
    println!(
        "check over {} files: exit {code:?} in {took:?}",
        files.len() + 1
    );
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.is_empty(), "stderr:\n{stderr}");
    assert!(!stdout.contains("X01"), "{stdout}");
    // One summary line per bad file, and every finding line names its file.
    for f in &files {
        let shown = format!("收表/{f}");
        let summary = stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{shown}：错误 ")))
            .count();
        assert_eq!(summary, 1, "{f} needs one summary line:\n{stdout}");
        let finding =
            |l: &str| l.starts_with(&format!("{shown}: ")) || l.starts_with(&format!("{shown}!"));
        assert!(stdout.lines().any(finding), "{f} has no finding:\n{stdout}");
    }
    assert!(
        !stdout.contains(clean),
        "the clean workbook got a finding:\n{stdout}"
    );
    let total = format!("共检查 {} 个文件（1 个无问题）", files.len() + 1);
    assert!(stdout.contains(&total), "{stdout}");
}

#[test]
fn a_panic_inside_the_reader_is_x01_on_stdout_and_silent_on_stderr() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("收表");
    std::fs::create_dir(&dir).expect("dir");
    std::fs::write(dir.join("强制出错.xlsx"), base()).expect("write");
    std::fs::write(dir.join("411321-D01.xlsx"), sample_file("D01")).expect("write");
    let (code, stdout, stderr, _) = run_bounded(
        tmp.path(),
        &["check".as_ref(), "收表".as_ref()],
        &[("HUIZONG_DEBUG_PANIC_IN_READER", "强制出错")],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stderr.is_empty(), "a caught panic printed: {stderr}");
    let line = stdout
        .lines()
        .find(|l| {
            l.starts_with("收表/强制出错.xlsx: X01 错误 读取文件“收表/强制出错.xlsx”时程序内部出错")
        })
        .unwrap_or_else(|| panic!("no X01 line:\n{stdout}"));
    assert!(line.contains("不是报送单位的问题"), "{line}");
    assert!(
        line.contains("内部信息：panic at src/ingest/guard.rs:"),
        "{line}"
    );
    assert!(!stdout.contains("S01"), "{stdout}");
    assert!(
        !stdout.contains("411321-D01.xlsx"),
        "the other file is clean:\n{stdout}"
    );
}

// ---------------------------------------------------------------------------------------------
// A closed stdout ends the program quietly

/// Runs huizong with stdout a pipe whose reading end is already closed: the first write fails
/// with EPIPE, deterministically (no race with a reader that closes "early").
fn into_closed_pipe(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    std::process::Command::new(bin())
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run huizong")
}

#[test]
fn rule_all_into_a_closed_pipe_exits_0_without_a_message() {
    let out = into_closed_pipe(&["rule".as_ref(), "--all".as_ref()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = into_closed_pipe(&["rule".as_ref(), "X01".as_ref()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
}

#[test]
fn check_with_findings_into_a_closed_pipe_exits_0_without_a_message() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = tmp.path().join("truncated.xlsx");
    std::fs::write(&f, &base()[..1000]).expect("write");
    for format in ["concise", "json"] {
        let out = into_closed_pipe(&[
            "check".as_ref(),
            f.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn rule_all_read_one_line_then_closed() {
    // `huizong rule --all | head -n1`: one line arrives, then the reader goes away.
    let mut child = std::process::Command::new(bin())
        .args(["rule", "--all"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).expect("line");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert!(first.starts_with('A') || first.starts_with('N'), "{first}");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_full_stdout_is_a_write_error_exit_2() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("note: no /dev/full here");
        return;
    };
    let out = std::process::Command::new(bin())
        .args(["rule", "--all"])
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("错误：无法写入 标准输出"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Found by this corpus, in other engineers' areas: the desired outcome

#[test]
fn a_lying_shared_strings_count_is_refused_not_an_abort() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = tmp.path().join("count.xlsx");
    let bytes = with_text(STRINGS, |x| {
        x.replacen(
            "uniqueCount=\"",
            &format!("uniqueCount=\"{STRINGS_COUNT_LIE}"),
            1,
        )
    });
    std::fs::write(&f, bytes).expect("write");
    let (code, stdout, stderr, _) = run_bounded(
        tmp.path(),
        &["check".as_ref(), "count.xlsx".as_ref()],
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "count.xlsx: S09 错误 共享字符串表 xl/sharedStrings.xml 声明含有 {STRINGS_COUNT_LIE}"
        )),
        "{stdout}"
    );
    // The same lie in the library: refused before calamine reserves anything.
    let (sub, diags) = read(with_text(STRINGS, |x| {
        x.replacen("uniqueCount=\"", "uniqueCount=\"40000000000", 1)
    }));
    assert!(sub.is_none(), "{diags:#?}");
    assert_eq!(
        diags.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["S09"]
    );
    assert!(
        diags[0].message.contains("最多容纳"),
        "{}",
        diags[0].message
    );
}

#[test]
fn a_true_or_small_shared_strings_count_is_read() {
    // A count below the truth is harmless (calamine only reserves it): the file reads as usual.
    let (sub, diags) = read(with_text(STRINGS, |x| {
        let at = x.find("uniqueCount=\"").expect("uniqueCount") + "uniqueCount=\"".len();
        let end = at + x[at..].find('"').expect("quote");
        format!("{}1{}", &x[..at], &x[end..])
    }));
    assert!(sub.is_some(), "{diags:#?}");
    assert!(diags.iter().all(|d| d.code != "S09"), "{diags:#?}");
}

#[test]
fn a_cell_reference_past_u32_is_refused_not_wrapped() {
    let bytes = with_text(CORE_SHEET, |x| {
        replace_cell(&x, "D5", "<c r=\"D4294967301\" s=\"9\"><v>77</v></c>")
    });
    let (sub, diags) = read(bytes);
    assert!(sub.is_none(), "read: {diags:#?}");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code, "S09");
    assert_eq!(
        diags[0].message,
        "工作表“统计表”中的单元格引用“D4294967301”超出工作表范围（行号或列号过大），\
         文件结构异常，拒绝读取"
    );
    // Columns past u32 too, and in a `ref` (the dimension), and a row just inside u32 is left
    // to the row bound.
    for (cell, token) in [
        ("<c r=\"ZZZZZZZ5\" s=\"9\"><v>77</v></c>", "ZZZZZZZ5"),
        ("<c r=\"D5\" s=\"9\"><f t=\"shared\" ref=\"D5:D4294967296\" si=\"0\">A1</f><v>77</v></c>", "D4294967296"),
    ] {
        let (sub, diags) = read(with_text(CORE_SHEET, |x| replace_cell(&x, "D5", cell)));
        assert!(sub.is_none(), "{cell}: {diags:#?}");
        assert!(
            diags.len() == 1 && diags[0].message.contains(&format!("“{token}”")),
            "{cell}: {diags:#?}"
        );
    }
    let (sub, diags) = read(with_text(CORE_SHEET, |x| {
        replace_cell(&x, "D5", "<c r=\"D4294967295\" s=\"9\"><v>77</v></c>")
    }));
    assert!(sub.is_none(), "{diags:#?}");
    assert!(
        diags.len() == 1 && diags[0].code == "S09" && diags[0].message.contains("第 4294967295 行"),
        "{diags:#?}"
    );
}

#[test]
fn many_sheets_pointing_at_one_part_are_refused_quickly() {
    let bytes = with_text(WORKBOOK, |x| {
        let many: String = (0..10_000)
            .map(|i| {
                format!(
                    "<sheet name=\"s{i}\" sheetId=\"{}\" r:id=\"rId2\"/>",
                    i + 10
                )
            })
            .collect();
        x.replacen("</sheets>", &format!("{many}</sheets>"), 1)
    });
    let t = Instant::now();
    let (sub, diags) = read(bytes);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(sub.is_none(), "{diags:#?}");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code, "S09");
    assert_eq!(
        diags[0].message,
        "工作簿有 10003 个工作表，超过上限 255 个，文件结构异常，拒绝读取"
    );
    // Under the bound, a second sheet on the part of 统计表 is refused too.
    let (sub, diags) = read(with_text(WORKBOOK, |x| {
        x.replacen(
            "</sheets>",
            "<sheet name=\"副本\" sheetId=\"9\" r:id=\"rId2\"/></sheets>",
            1,
        )
    }));
    assert!(sub.is_none(), "{diags:#?}");
    assert_eq!(
        diags.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(),
        ["工作表“统计表”和“副本”指向同一个部件 xl/worksheets/sheet2.xml，文件结构异常，拒绝读取"]
    );
}

#[test]
fn implausible_numbers_get_a_finding() {
    for v in ["1e308", "9007199254740993", "123456789012345678"] {
        let bytes = with_text(CORE_SHEET, |x| {
            replace_cell(&x, "D5", &format!("<c r=\"D5\" s=\"9\"><v>{v}</v></c>"))
        });
        let (_, diags) = read(bytes);
        assert!(
            diags
                .iter()
                .any(|d| d.location.cell.map(|c| c.a1()).as_deref() == Some("D5")),
            "{v} at D5 was accepted without a finding"
        );
    }
}

#[test]
fn a_long_numeric_unit_code_is_not_rounded_silently() {
    let bytes = with_text(COVER_SHEET, |x| {
        replace_cell(&x, "B3", "<c r=\"B3\"><v>411321000000000001</v></c>")
    });
    let (sub, diags) = read(bytes);
    // Not taken as a code (rounded, it might be another unit's), and an error at the cell.
    assert_eq!(sub.and_then(|s| s.cover.unit_code), None);
    let shown: Vec<String> = diags.iter().map(Diagnostic::render_concise).collect();
    assert_eq!(
        shown,
        ["收表/hostile.xlsx!封面!B3: S03 错误 封面单位代码以数字形式保存为“411321000000000000”，\
          位数过多，Excel 只保存前 15 位有效数字，读取的代码可能与填写的不同；\
          请将该单元格格式设为“文本”后重新输入单位代码"]
    );
    // A fraction is no code either; a short numeric code is read as typed.
    let (sub, diags) = read(with_text(COVER_SHEET, |x| {
        replace_cell(&x, "B3", "<c r=\"B3\"><v>4113.5</v></c>")
    }));
    assert_eq!(sub.and_then(|s| s.cover.unit_code), None);
    assert!(
        diags.len() == 1 && diags[0].message.contains("不是整数"),
        "{diags:#?}"
    );
    let (sub, diags) = read(with_text(COVER_SHEET, |x| {
        replace_cell(&x, "B3", "<c r=\"B3\"><v>411321001</v></c>")
    }));
    assert_eq!(
        sub.and_then(|s| s.cover.unit_code).as_deref(),
        Some("411321001")
    );
    assert!(diags.iter().all(|d| d.code != "S03"), "{diags:#?}");
}
