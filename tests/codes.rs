//! Tests that keep the code table true (issue #13): every finding code is unique, `docs/rules.md`
//! is the current output of `huizong rule --markdown`, and every code of `codes::TABLE` and of
//! the default schema's rules has a case below that triggers it through the real pipeline, with
//! a near miss (one value changed) that does not. The last test fails when a code has no case.
//!
//! The cases start from one clean sample county (generated and written once, shared through a
//! `OnceLock`) and change one or two values of one unit's workbook:
//! - [`FILE_CASES`]: one workbook, `huizong check --format json` (with last year's workbook of
//!   the unit for the cross-period rules). The hit's findings minus the near miss's must be
//!   exactly the code (plus the codes listed in `also`, where one fact breaks two rules).
//! - [`COUNTY_CHECKS`]: the whole county, `huizong check` (cross-unit sums, missing units).
//! - [`RUN_CASES`]: the whole county, `huizong run --prior` (the anomaly methods need peers).
//! - [`LIB_CASES`]: `anomaly::detect` on the county's values (A10 is off by default; A04's input
//!   cannot come from a workbook today, see `a04_from_a_workbook`).
//! - [`SPECIAL`]: the cases with their own test (size limits, two files for one unit, X01).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value as Json;

use huizong::aggregate::UnitRow;
use huizong::anomaly::{self, sigma_gap::SigmaGapParams, AnomalyInput, Params};
use huizong::codes::{explain, Code, TABLE};
use huizong::ingest::{self, sniff::Limits};
use huizong::registry::{Unit, UnitKind};
use huizong::report::template::{self, CellInput, TemplateFill};
use huizong::sample::{self, SampleCounty, SampleOptions, UnitData};
use huizong::schema::{Schema, ValueType};

const YEAR: i32 = 2024;

// ---------------------------------------------------------------------------------------------
// The shared clean county

struct Fixture {
    /// `units.csv`, `2023/`, `2024/` of the clean county.
    root: PathBuf,
    county: SampleCounty,
    schema: Schema,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let schema = Schema::default_schema();
        let opts = SampleOptions {
            clean: true,
            ..SampleOptions::default()
        };
        let county = sample::generate(&schema, &opts);
        // Kept for the whole run (a static is never dropped), under target/tmp.
        let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir")
            .keep();
        sample::write(&schema, &county, opts.seed, &root).expect("sample county written");
        Fixture {
            root,
            county,
            schema,
        }
    })
}

impl Fixture {
    fn registry_path(&self) -> PathBuf {
        self.root.join("units.csv")
    }

    fn unit(&self, code: &str) -> &Unit {
        self.county
            .registry
            .get(code)
            .unwrap_or_else(|| panic!("{code} in the registry"))
    }

    fn data(&self, year: i32, code: &str) -> &UnitData {
        self.county.years[&year]
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{code} has a {year} file"))
    }

    /// The clean workbook of `code` in `year`, as written by the sample writer.
    fn file(&self, year: i32, code: &str) -> PathBuf {
        let name = template::file_name(self.unit(code), year);
        self.root.join(year.to_string()).join(name)
    }

    /// This year's values of every unit, as the anomaly checks take them.
    fn unit_inputs(&self) -> Vec<UnitRow> {
        self.county.years[&YEAR]
            .iter()
            .map(|d| {
                let unit = self.unit(&d.code);
                UnitRow {
                    code: d.code.clone(),
                    name: unit.name.clone(),
                    kind: unit.kind,
                    values: d.values.clone(),
                    prior: d.prior.clone(),
                    origins: BTreeMap::new(),
                }
            })
            .collect()
    }
}

fn u(n: &str) -> String {
    format!("{}-{n}", sample::COUNTY_CODE)
}

// ---------------------------------------------------------------------------------------------
// One unit's workbook, edited

/// A unit's 2024 workbook before it is built: the sample values plus what a case changes.
#[derive(Clone)]
struct Draft {
    unit: Unit,
    data: UnitData,
    cover_code: Option<String>,
    cutoff_date: Option<String>,
    /// The schema the template is built with (the reader always uses the default one).
    writer: Schema,
    /// Replaces the workbook's bytes (files that are no workbook).
    raw: Option<Vec<u8>>,
    /// (zip entry, from, to) text replacements in the built workbook.
    patches: Vec<(&'static str, String, String)>,
}

impl Draft {
    fn new(code: &str) -> Draft {
        let f = fixture();
        Draft {
            unit: f.unit(code).clone(),
            data: f.data(YEAR, code).clone(),
            cover_code: None,
            cutoff_date: None,
            writer: f.schema.clone(),
            raw: None,
            patches: Vec::new(),
        }
    }

    fn v(&self, code: &str) -> f64 {
        self.data.values.get(code).copied().unwrap_or(0.0)
    }

    fn prev(&self, code: &str) -> f64 {
        self.data.prior.get(code).copied().unwrap_or(0.0)
    }

    fn set(&mut self, code: &str, v: f64) {
        self.data.values.insert(code.to_string(), v);
    }

    fn add(&mut self, code: &str, d: f64) {
        let v = self.v(code) + d;
        self.set(code, v);
    }

    /// Several codes to one value.
    fn set_all(&mut self, codes: &[&str], v: f64) {
        for c in codes {
            self.set(c, v);
        }
    }

    fn typed(&mut self, code: &str, text: &str) {
        self.data.typed.insert(code.to_string(), text.to_string());
    }

    fn file_name(&self) -> String {
        template::file_name(&self.unit, YEAR)
    }

    /// What the sample writer puts into the template, with this draft's cover overrides.
    fn fill(&self) -> TemplateFill {
        let mut current = BTreeMap::new();
        for ind in &self.writer.indicators {
            if let Some(t) = self.data.typed.get(&ind.code) {
                current.insert(ind.code.clone(), CellInput::Text(t.clone()));
            } else if let Some(&v) = self.data.values.get(&ind.code) {
                let cell = match ind.value_type {
                    ValueType::YesNo => {
                        CellInput::Text(if v >= 1.0 { "是" } else { "否" }.to_string())
                    }
                    _ => CellInput::Number(v),
                };
                current.insert(ind.code.clone(), cell);
            }
        }
        TemplateFill {
            current,
            prior: self.data.prior.clone(),
            notes: self.data.notes.clone(),
            filler: Some("王伟".into()),
            phone: Some("0377-6123456".into()),
            head: Some("李敏".into()),
            cover_code: self.cover_code.clone(),
            cutoff_date: self.cutoff_date.clone(),
            settings: Default::default(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        let mut bytes =
            template::build(&self.writer, &self.unit, YEAR, &self.fill()).expect("template built");
        for (entry, from, to) in &self.patches {
            bytes = patch(&bytes, entry, from, to);
        }
        bytes
    }

    fn write_into(&self, dir: &Path) -> PathBuf {
        let path = dir.join(self.file_name());
        std::fs::write(&path, self.bytes()).expect("workbook written");
        path
    }
}

/// Replaces `from` by `to` in one zip entry; panics when `from` is not there.
fn patch(bytes: &[u8], entry: &str, from: &str, to: &str) -> Vec<u8> {
    use std::io::Read as _;
    let mut zin = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut found = false;
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).expect("entry");
        let name = file.name().expect("name").into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("read");
        if name == entry {
            let text = String::from_utf8(data).expect("utf-8");
            found = text.contains(from);
            data = text.replacen(from, to, 1).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(&data).expect("write");
    }
    assert!(found, "{from:?} not in {entry}");
    out.finish().expect("finish").into_inner()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        out.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

/// An OLE compound file whose directory names `stream` (what the sniffer looks at).
fn cfb_with(stream: &str) -> Vec<u8> {
    let mut b = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    b.resize(512, 0);
    b.extend(stream.encode_utf16().flat_map(|u| u.to_le_bytes()));
    b.resize(1024, 0);
    b
}

// ---------------------------------------------------------------------------------------------
// Running the binary

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary is built")
}

/// One finding of `check --format json`.
#[derive(Debug, Clone)]
struct Found {
    code: String,
    file: String,
    sheet: Option<String>,
    cell: Option<String>,
    unit: Option<String>,
    indicator: Option<String>,
}

impl Found {
    fn from_json(f: &Json) -> Found {
        let s = |k: &str| f[k].as_str().map(str::to_string);
        Found {
            code: s("code").unwrap_or_default(),
            file: s("file").unwrap_or_default(),
            sheet: s("sheet"),
            cell: s("cell"),
            unit: s("unit"),
            indicator: s("indicator"),
        }
    }

    fn show(&self) -> String {
        format!(
            "{} {}!{}!{} unit={} indicator={}",
            self.code,
            self.file.rsplit('/').next().unwrap_or(""),
            self.sheet.as_deref().unwrap_or("-"),
            self.cell.as_deref().unwrap_or("-"),
            self.unit.as_deref().unwrap_or("-"),
            self.indicator.as_deref().unwrap_or("-"),
        )
    }
}

/// `huizong check --format json DIR` against the county's registry; every finding.
fn check(dir: &Path, prior: Option<&Path>) -> Vec<Found> {
    let mut cmd = huizong();
    cmd.args(["check", "--format", "json", "--registry"])
        .arg(fixture().registry_path())
        .arg(dir);
    if let Some(p) = prior {
        cmd.arg("--prior").arg(p);
    }
    let out = cmd.output().expect("check runs");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "check exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Json = serde_json::from_slice(&out.stdout).expect("check --format json");
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(Found::from_json)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Case tables

/// Where a file case's finding must point.
#[derive(Debug, Clone, Copy)]
enum At {
    /// The 本年数 cell of this indicator on 统计表.
    Cell(&'static str),
    /// A cell of 统计表 that is no indicator's.
    DataSheet,
    /// A cell of the cover sheet.
    Cover,
    /// The file, with no cell.
    File,
}

type Edit = fn(&mut Draft);

/// One workbook, checked alone.
struct FileCase {
    code: &'static str,
    unit: &'static str,
    /// Give `check` last year's workbook of the unit (cross-period rules).
    prior: bool,
    at: At,
    hit: Edit,
    miss: Edit,
    /// Codes the hit necessarily adds too (one fact that breaks two rules).
    also: &'static [&'static str],
}

const GF: [&str; 4] = ["GF01", "GF02", "GF03", "GF04"];
const JC: [&str; 6] = ["JC01", "JC02", "JC03", "JC04", "JC05", "JC06"];
const FY06: [&str; 10] = [
    "FY06A", "FY06B", "FY06C", "FY06D", "FY06E", "FY06F", "FY06G", "FY06H", "FY06I", "FY06J",
];

/// The breakdown of FY06 with the largest value (the one a case takes a case from).
fn largest_fy06(d: &Draft) -> &'static str {
    FY06.iter()
        .copied()
        .max_by(|a, b| d.v(a).total_cmp(&d.v(b)))
        .unwrap_or("FY06A")
}

const fn case(code: &'static str, unit: &'static str, at: At, hit: Edit, miss: Edit) -> FileCase {
    FileCase {
        code,
        unit,
        prior: false,
        at,
        hit,
        miss,
        also: &[],
    }
}

impl FileCase {
    const fn also(mut self, also: &'static [&'static str]) -> FileCase {
        self.also = also;
        self
    }

    const fn with_prior(mut self) -> FileCase {
        self.prior = true;
        self
    }
}

/// Every code found in one workbook: values, cover, structure, and the schema's rules.
const FILE_CASES: &[FileCase] = &[
    // --- the file itself (ingest::sniff, ingest::locate)
    case("S01", "D02", At::File, |d| d.raw = Some(Vec::new()), |_| {}),
    case(
        "S01",
        "D02",
        At::File,
        |d| {
            d.raw = Some(zip_of(&[
                ("[Content_Types].xml", b"<Types/>"),
                ("word/document.xml", b"<w:document/>"),
            ]))
        },
        |_| {},
    ),
    case(
        "S02",
        "D02",
        At::File,
        |d| d.raw = Some(cfb_with("EncryptedPackage")),
        |d| d.raw = Some(cfb_with("WordDocument")),
    ),
    case(
        "S03",
        "D02",
        At::File,
        |d| {
            d.patches.push((
                "xl/workbook.xml",
                r#"<sheet name="封面" sheetId="1" r:id="rId1"/>"#.into(),
                String::new(),
            ))
        },
        |_| {},
    ),
    case(
        "S04",
        "D02",
        At::File,
        |d| {
            d.patches.push((
                "xl/sharedStrings.xml",
                "<t>本年数</t>".into(),
                "<t>数值</t>".into(),
            ))
        },
        // A header variant the reader knows.
        |d| {
            d.patches.push((
                "xl/sharedStrings.xml",
                "<t>本年数</t>".into(),
                "<t>本期数</t>".into(),
            ))
        },
    ),
    case(
        "S05",
        "D02",
        At::Cover,
        |d| d.writer.template_version = "fazhi-2023.1".into(),
        |_| {},
    ),
    case(
        "S06",
        "D02",
        At::File,
        |d| d.writer.indicators.retain(|i| i.code != "ZL03"),
        |_| {},
    ),
    case(
        "S07",
        "D02",
        At::Cell("ZL03"),
        |d| {
            let i = d
                .writer
                .indicators
                .iter()
                .position(|i| i.code == "ZL03")
                .expect("ZL03");
            let dup = d.writer.indicators[i].clone();
            d.writer.indicators.insert(i + 1, dup);
        },
        |_| {},
    ),
    case(
        "S08",
        "D02",
        At::DataSheet,
        |d| {
            let mut extra = d.writer.indicator("ZL03").expect("ZL03").clone();
            extra.code = "ZL09".into();
            d.writer.indicators.push(extra);
            d.set("ZL09", 1.0);
        },
        |_| {},
    ),
    // --- the cover (ingest::locate, validate::identity)
    case(
        "V04",
        "D02",
        At::Cover,
        |d| d.cover_code = Some(u("D98")),
        |d| d.cover_code = Some(u("D02")),
    ),
    case(
        "V05",
        "D02",
        At::Cover,
        |d| d.cutoff_date = Some("2024-11-30".into()),
        |d| d.cutoff_date = Some("2024-12-31".into()),
    ),
    // --- one cell (ingest::value, validate::rules)
    case(
        "V01",
        "D02",
        At::Cell("ZL01"),
        |d| d.set("ZL01", 2.5),
        |d| d.set("ZL01", 3.0),
    ),
    case(
        "V01",
        "D02",
        At::Cell("ZL02"),
        |d| {
            d.data.values.remove("ZL02");
        },
        |d| d.set("ZL02", 4.0),
    ),
    case(
        "V02",
        "D02",
        At::Cell("ZL01"),
        |d| d.typed("ZL01", "xx"),
        |d| d.set("ZL01", 3.0),
    ),
    case(
        "V03",
        "D02",
        At::Cell("ZL02"),
        |d| d.typed("ZL02", "约5"),
        |d| d.set("ZL02", 5.0),
    ),
    case(
        "N01",
        "D02",
        At::Cell("ZL02"),
        |d| d.typed("ZL02", "５"),
        |d| d.set("ZL02", 5.0),
    ),
    case(
        "N02",
        "D02",
        At::Cell("ZL02"),
        |d| d.set("ZL02", 13812345678.0),
        |d| d.set("ZL02", 99_999_999.0),
    ),
    case(
        "V06",
        "T01",
        At::Cell("ZF11"),
        |d| {
            let ind = d
                .writer
                .indicators
                .iter_mut()
                .find(|i| i.code == "ZF11")
                .expect("ZF11");
            ind.reporters.push(UnitKind::Township);
            d.set("ZF11", 5.0);
        },
        |d| {
            let ind = d
                .writer
                .indicators
                .iter_mut()
                .find(|i| i.code == "ZF11")
                .expect("ZF11");
            ind.reporters.push(UnitKind::Township);
            d.set("ZF11", 0.0);
        },
    ),
    case(
        "V67",
        "D02",
        At::Cell("ZF06H"),
        |d| {
            d.add("ZF06H", 1.0);
            d.add("ZF06", 1.0);
        },
        |d| {
            d.add("ZF06I", 1.0);
            d.add("ZF06", 1.0);
        },
    ),
    // --- the schema's in-record rules
    case(
        "V10",
        "D02",
        At::Cell("GF02"),
        |d| {
            d.set_all(&GF, 3.0);
            d.set("GF03", 4.0);
            d.set("GF02", 4.0);
        },
        |d| {
            d.set_all(&GF, 3.0);
            d.set("GF03", 4.0);
        },
    ),
    case(
        "V11",
        "D02",
        At::Cell("GF03"),
        |d| {
            d.set_all(&GF, 3.0);
            d.set("GF03", 2.0);
        },
        |d| d.set_all(&GF, 3.0),
    ),
    case(
        "V12",
        "D02",
        At::Cell("GF04"),
        |d| {
            d.set_all(&GF, 3.0);
            d.set("GF04", 4.0);
        },
        |d| d.set_all(&GF, 3.0),
    ),
    case(
        "V13",
        "D02",
        At::Cell("GF06"),
        |d| d.set("GF06", d.v("GF05") + 1.0),
        |d| d.set("GF06", d.v("GF05")),
    ),
    case(
        "V14",
        "D02",
        // at the part that exceeds the total, not the first code of the rule
        At::Cell("JC03"),
        |d| {
            d.set_all(&JC, 3.0);
            d.set("JC03", 4.0);
        },
        |d| d.set_all(&JC, 3.0),
    ),
    case(
        "V15",
        "C01",
        At::Cell("JC07"),
        |d| d.set("JC07", d.v("GF02") + d.v("JC02") - 1.0),
        |d| d.set("JC07", d.v("GF02") + d.v("JC02")),
    ),
    case(
        "V16",
        "T01",
        At::Cell("GW05"),
        |d| d.set("GW05", f64::from(d.unit.villages) + 1.0),
        |d| d.set("GW05", f64::from(d.unit.villages)),
    ),
    case(
        "V17",
        "D02",
        At::Cell("ZF02"),
        |d| d.set("ZF02", d.v("ZF01") + 1.0),
        |d| d.set("ZF02", d.v("ZF01")),
    ),
    case(
        "V18",
        "D02",
        At::Cell("ZF05"),
        |d| d.set("ZF05", d.v("ZF04") + 1.0),
        |d| d.set("ZF05", d.v("ZF04")),
    ),
    case(
        "V19",
        "D02",
        At::Cell("ZF10"),
        |d| d.set("ZF10", d.v("ZF06") + d.v("ZF08C") + d.v("ZF09") + 1.0),
        |d| d.set("ZF10", d.v("ZF06") + d.v("ZF08C") + d.v("ZF09")),
    ),
    case(
        "V20",
        "D02",
        At::Cell("ZF06A"),
        |d| d.add("ZF06A", 1.0),
        |d| {
            d.add("ZF06A", 1.0);
            d.add("ZF06", 1.0);
        },
    ),
    case(
        "V21",
        "D30",
        At::Cell("ZF06"),
        |d| {
            assert_eq!(d.v("ZF06"), 0.0);
            d.set("ZF07", 500.0);
        },
        |d| d.set("ZF07", 0.0),
    ),
    case(
        "V22",
        "D02",
        At::Cell("ZF08B"),
        |d| d.set("ZF08B", d.v("ZF08A") + 1.0),
        |d| d.set("ZF08B", d.v("ZF08A")),
    ),
    case(
        "V23",
        "D02",
        At::Cell("ZF08C"),
        |d| d.set("ZF08C", d.v("ZF08B") - d.v("ZF08D") + 1.0),
        |d| d.set("ZF08C", d.v("ZF08B") - d.v("ZF08D")),
    ),
    case(
        "V24",
        "C01",
        At::Cell("FY03"),
        |d| {
            d.set_all(&["FY04", "FY05"], 0.0);
            d.set("FY03", d.v("FY02") + 1.0);
        },
        |d| {
            d.set_all(&["FY04", "FY05"], 0.0);
            d.set("FY03", d.v("FY02"));
        },
    )
    // FY03 > FY02 leaves FY03 + FY04 + FY05 != FY02 whatever FY04 and FY05 are.
    .also(&["V25"]),
    case(
        "V25",
        "C01",
        At::Cell("FY03"),
        |d| d.add("FY05", 1.0),
        |d| {
            d.add("FY05", 1.0);
            d.add("FY02", 1.0);
        },
    ),
    case(
        "V26",
        "C01",
        At::Cell("FY06"),
        |d| {
            let delta = d.v("FY01") + d.v("FY03") + 1.0 - d.v("FY06");
            d.add("FY06", delta);
            d.add("FY06J", delta);
        },
        |d| {
            let delta = d.v("FY01") + d.v("FY03") - d.v("FY06");
            d.add("FY06", delta);
            d.add("FY06J", delta);
        },
    ),
    case(
        "V27",
        "C01",
        At::Cell("FY06A"),
        |d| {
            let k = largest_fy06(d);
            d.add(k, -1.0);
        },
        |d| {
            let k = largest_fy06(d);
            d.add(k, -1.0);
            d.add(if k == "FY06J" { "FY06I" } else { "FY06J" }, 1.0);
        },
    ),
    case(
        "V28",
        "D01",
        At::Cell("YS03"),
        |d| d.set("YS03", d.v("YS01") + d.v("YS02") + 1.0),
        |d| d.set("YS03", d.v("YS01") + d.v("YS02")),
    ),
    case(
        "V29",
        "D01",
        At::Cell("YS04"),
        |d| d.set("YS05", d.v("YS03") - d.v("YS04") + 1.0),
        |d| d.set("YS05", d.v("YS03") - d.v("YS04")),
    ),
    case(
        "V30",
        "D01",
        At::Cell("YS06"),
        |d| d.set("YS06", d.v("YS01") + d.v("YS02") + 1.0),
        |d| d.set("YS06", d.v("YS01") + d.v("YS02")),
    ),
    case(
        "V31",
        "D01",
        At::Cell("YS07"),
        |d| d.set("YS07", d.v("YS06") + 1.0),
        |d| d.set("YS07", d.v("YS06")),
    ),
    case(
        "V32",
        "D01",
        At::Cell("FY09"),
        |d| d.set("FY09", d.v("FY08") + 1.0),
        |d| d.set("FY09", d.v("FY08")),
    ),
    case(
        "V60",
        "D02",
        At::Cell("ZL01"),
        |d| d.set("ZL01", 0.0),
        |d| d.set("ZL01", 1.0),
    ),
    case(
        "V61",
        "D02",
        At::Cell("ZL02"),
        |d| d.set("ZL02", 3.0),
        |d| d.set("ZL02", 4.0),
    ),
    case(
        "V62",
        "D02",
        At::Cell("GF02"),
        |d| {
            d.set_all(&GF, 3.0);
            d.set("GF02", 2.0);
        },
        |d| d.set_all(&GF, 3.0),
    ),
    case(
        "V63",
        "D02",
        At::Cell("GF04"),
        |d| {
            d.set_all(&GF, 3.0);
            d.set("GF04", 2.0);
        },
        |d| d.set_all(&GF, 3.0),
    ),
    case(
        "V64",
        "D02",
        At::Cell("JC06"),
        |d| {
            d.set_all(&JC, 3.0);
            d.set("JC06", 2.0);
        },
        |d| d.set_all(&JC, 3.0),
    ),
    case(
        "V65",
        "D02",
        At::Cell("GW01"),
        |d| {
            d.set("GW01", 0.0);
            d.set("GW02", 2.0);
        },
        |d| {
            d.set("GW01", 1.0);
            d.set("GW02", 2.0);
        },
    ),
    case(
        "V66",
        "T01",
        At::Cell("ZF15"),
        |d| {
            d.set_all(&["ZF01", "ZF02"], 0.0);
            d.set("ZF15", 2.0);
        },
        |d| {
            d.set_all(&["ZF01", "ZF02"], 0.0);
            d.set("ZF15", 0.0);
        },
    ),
    // --- the schema's cross-period rules (with last year's workbook)
    case(
        "V40",
        "D02",
        At::Cell("GF07"),
        |d| d.add("GF07", 1.0),
        |_| {},
    )
    .with_prior(),
    case(
        "V41",
        "D02",
        At::Cell("ZF02"),
        |d| {
            let n = (1.3 * d.prev("ZF02")).floor() + 1.0;
            d.set("ZF01", d.v("ZF01").max(n));
            d.set("ZF02", n);
        },
        |d| {
            let n = (1.3 * d.prev("ZF02")).floor();
            d.set("ZF01", d.v("ZF01").max(n + 1.0));
            d.set("ZF02", n);
        },
    )
    .with_prior(),
    case(
        "V42",
        "C01",
        At::Cell("FY01"),
        |d| d.add("FY01", 1.0),
        |_| {},
    )
    .with_prior(),
    case(
        "V43",
        "D01",
        At::Cell("YS02"),
        |d| d.add("YS02", 1.0),
        |_| {},
    )
    .with_prior(),
    case(
        "V44",
        "T01",
        At::Cell("PF05"),
        |d| d.set("PF05", d.prev("PF05") - 1.0),
        |d| d.set("PF05", d.prev("PF05")),
    )
    .with_prior(),
];

/// Runs one file case; returns what went wrong (empty when it holds).
fn run_file_case(case: &FileCase) -> Vec<String> {
    let f = fixture();
    let code = f.unit(&u(case.unit)).code.clone();
    let prior = case.prior.then(|| f.file(YEAR - 1, &code));
    let run = |edit: Edit| -> (Vec<Found>, Draft) {
        let mut d = Draft::new(&code);
        edit(&mut d);
        let dir = tempfile::tempdir().expect("temp dir");
        d.write_into(dir.path());
        let name = d.file_name();
        let found = check(dir.path(), prior.as_deref())
            .into_iter()
            .filter(|x| x.file.ends_with(&name))
            .collect();
        (found, d)
    };
    let (hit, _) = run(case.hit);
    let (miss, _) = run(case.miss);
    let label = format!("{} on {}", case.code, case.unit);
    let show = |v: &[Found]| v.iter().map(Found::show).collect::<Vec<_>>().join("\n  ");
    let mut errs = Vec::new();
    let hits: Vec<&Found> = hit.iter().filter(|x| x.code == case.code).collect();
    if hits.is_empty() {
        errs.push(format!("{label}: not triggered; found:\n  {}", show(&hit)));
    }
    for h in &hits {
        let ok = match case.at {
            At::Cell(ind) => {
                h.indicator.as_deref() == Some(ind)
                    && h.sheet.as_deref() == Some("统计表")
                    && h.cell.is_some()
            }
            At::DataSheet => {
                h.indicator.is_none() && h.sheet.as_deref() == Some("统计表") && h.cell.is_some()
            }
            At::Cover => h.sheet.as_deref() == Some("封面") && h.cell.is_some(),
            At::File => h.cell.is_none(),
        };
        if !ok {
            errs.push(format!(
                "{label}: expected at {:?}, got {}",
                case.at,
                h.show()
            ));
        }
    }
    if miss.iter().any(|x| x.code == case.code) {
        errs.push(format!(
            "{label}: near miss triggers it:\n  {}",
            show(&miss)
        ));
    }
    let hit_codes: BTreeSet<&str> = hit.iter().map(|x| x.code.as_str()).collect();
    let miss_codes: BTreeSet<&str> = miss.iter().map(|x| x.code.as_str()).collect();
    let added: BTreeSet<&str> = hit_codes.difference(&miss_codes).copied().collect();
    let want: BTreeSet<&str> = std::iter::once(case.code)
        .chain(case.also.iter().copied())
        .collect();
    if added != want {
        errs.push(format!(
            "{label}: the hit adds {added:?}, expected {want:?}\n hit:\n  {}\n miss:\n  {}",
            show(&hit),
            show(&miss)
        ));
    }
    errs
}

fn run_file_cases(filter: impl Fn(&FileCase) -> bool) {
    let cases: Vec<&FileCase> = FILE_CASES.iter().filter(|c| filter(c)).collect();
    assert!(!cases.is_empty());
    let errs: Vec<String> = cases.iter().flat_map(|c| run_file_case(c)).collect();
    assert!(errs.is_empty(), "{}", errs.join("\n\n"));
}

fn is_rule(code: &str) -> bool {
    fixture().schema.rules.iter().any(|r| r.code == code)
}

#[test]
fn file_structure_codes() {
    run_file_cases(|c| c.code.starts_with('S'));
}

#[test]
fn cell_and_cover_codes() {
    run_file_cases(|c| !c.code.starts_with('S') && !is_rule(c.code));
}

#[test]
fn in_record_rules() {
    run_file_cases(|c| is_rule(c.code) && !c.prior);
}

#[test]
fn cross_period_rules() {
    run_file_cases(|c| is_rule(c.code) && c.prior);
}

// ---------------------------------------------------------------------------------------------
// The whole county

/// The county's 2024 folder with some units' workbooks edited or removed.
struct County {
    drafts: BTreeMap<String, Draft>,
    removed: BTreeSet<String>,
}

impl County {
    fn new() -> County {
        County {
            drafts: BTreeMap::new(),
            removed: BTreeSet::new(),
        }
    }

    fn edit(&mut self, unit: &str) -> &mut Draft {
        let code = u(unit);
        self.drafts
            .entry(code.clone())
            .or_insert_with(|| Draft::new(&code))
    }

    /// Σ of `code` over every unit's clean 2024 values.
    fn total(code: &str) -> f64 {
        fixture().county.years[&YEAR]
            .iter()
            .map(|d| d.values.get(code).copied().unwrap_or(0.0))
            .sum()
    }

    /// Writes the folder: clean workbooks copied, edited ones rebuilt, removed ones left out.
    fn write(&self, dir: &Path) {
        let f = fixture();
        for d in &f.county.years[&YEAR] {
            if self.removed.contains(&d.code) || self.drafts.contains_key(&d.code) {
                continue;
            }
            let from = f.file(YEAR, &d.code);
            let name = from.file_name().expect("file name");
            std::fs::copy(&from, dir.join(name)).expect("copied");
        }
        for d in self.drafts.values() {
            d.write_into(dir);
        }
    }
}

type CountyEdit = fn(&mut County);

/// A code found across the files of the county by `huizong check`.
struct CountyCheck {
    code: &'static str,
    /// The unit whose finding it is.
    unit: &'static str,
    hit: CountyEdit,
    miss: CountyEdit,
}

/// Cross-unit sums and missing units. All hits go into one county and all near misses into
/// another: each case edits other units and other sums.
const COUNTY_CHECKS: &[CountyCheck] = &[
    // Σ FY08 of townships and departments against the county office's FY03 (10 %, 2 cases).
    CountyCheck {
        code: "V50",
        unit: "C01",
        hit: |c| c.edit("D02").add("FY08", 11.0),
        miss: |c| c.edit("D02").add("FY08", 1.0),
    },
    // Σ FY09 against the county office's FY06C–FY06G (11 each): D01's 4 made 8, or 6. An
    // excess: with S11's unit missing from the sums, a shortfall is not flagged.
    CountyCheck {
        code: "V51",
        unit: "C01",
        hit: |c| c.edit("D01").add("FY09", 4.0),
        miss: |c| c.edit("D01").add("FY09", 2.0),
    },
    // The court's YS08 against Σ YS01 (an excess again): a third of it, or just over half.
    CountyCheck {
        code: "V52",
        unit: "X01",
        hit: |c| {
            c.edit("X01")
                .set("YS08", (County::total("YS01") / 3.0).floor())
        },
        miss: |c| {
            c.edit("X01")
                .set("YS08", (County::total("YS01") / 2.0).floor() + 1.0)
        },
    },
    // A unit with no cases in the cross-unit sums sends nothing.
    CountyCheck {
        code: "S11",
        unit: "D07",
        hit: |c| {
            c.removed.insert(u("D07"));
        },
        miss: |_| {},
    },
];

#[test]
fn county_checks() {
    let build = |pick: fn(&CountyCheck) -> CountyEdit| -> Vec<Found> {
        let mut county = County::new();
        for case in COUNTY_CHECKS {
            pick(case)(&mut county);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        county.write(dir.path());
        check(dir.path(), None)
    };
    let hit = build(|c| c.hit);
    let miss = build(|c| c.miss);
    let show = |v: &[Found]| v.iter().map(Found::show).collect::<Vec<_>>().join("\n  ");
    let mut errs = Vec::new();
    for case in COUNTY_CHECKS {
        let unit = u(case.unit);
        if !hit
            .iter()
            .any(|x| x.code == case.code && x.unit.as_deref() == Some(unit.as_str()))
        {
            errs.push(format!("{} not found for {unit}", case.code));
        }
        if miss.iter().any(|x| x.code == case.code) {
            errs.push(format!("{} in the near-miss county", case.code));
        }
    }
    assert!(
        errs.is_empty(),
        "{}\nhit:\n  {}\nmiss:\n  {}",
        errs.join("\n"),
        show(&hit),
        show(&miss)
    );
}

/// An anomaly `huizong run --prior` must rank for `unit` (and `indicator`).
struct RunCase {
    code: &'static str,
    /// `None` for a county-level finding.
    unit: Option<&'static str>,
    indicator: Option<&'static str>,
    hit: CountyEdit,
    miss: CountyEdit,
}

/// Anomalies. As for [`COUNTY_CHECKS`], all hits share one county (each on its own unit), all
/// near misses another. None of the edits makes an error (that would hold the unit back).
const RUN_CASES: &[RunCase] = &[
    // HB on 行政检查次数 among the 30 departments: tripled, or +5 %.
    RunCase {
        code: "A01",
        unit: Some("D05"),
        indicator: Some("ZF04"),
        hit: |c| {
            let d = c.edit("D05");
            d.set("ZF04", 3.0 * d.prev("ZF04"));
        },
        miss: |c| {
            let d = c.edit("D05");
            d.set("ZF04", (1.05 * d.prev("ZF04")).round());
        },
    },
    // A small count (below 20, so Poisson rather than HB): 2 → 19 sessions, or 2 → 4.
    RunCase {
        code: "A02",
        unit: Some("D21"),
        indicator: Some("ZL01"),
        hit: |c| c.edit("D21").set("ZL01", 19.0),
        miss: |c| c.edit("D21").set("ZL01", 4.0),
    },
    // 罚没金额 typed in 万元 the other way round: ×10 000 last year's, or ×1.2.
    RunCase {
        code: "A03",
        unit: Some("D03"),
        indicator: Some("ZF07"),
        hit: |c| {
            let d = c.edit("D03");
            d.set("ZF07", 10_000.0 * d.prev("ZF07"));
        },
        miss: |c| {
            let d = c.edit("D03");
            d.set("ZF07", (1.2 * d.prev("ZF07")).round());
        },
    },
    // Last year's workbook sent again (no cases in the cross-period identities), or the
    // unit's own 2024 values.
    RunCase {
        code: "A05",
        unit: Some("T06"),
        indicator: None,
        hit: |c| {
            let d = c.edit("T06");
            d.data.values = d.data.prior.clone();
        },
        miss: |c| {
            c.edit("T06");
        },
    },
    // D19 sends D17's figures, or D17's figures with one value changed.
    RunCase {
        code: "A06",
        unit: Some("D19"),
        indicator: None,
        hit: |c| {
            let values = c.edit("D17").data.values.clone();
            c.edit("D19").data.values = values;
        },
        miss: |c| {
            let mut values = c.edit("D17").data.values.clone();
            *values.get_mut("ZL02").expect("ZL02") += 1.0;
            c.edit("D19").data.values = values;
        },
    },
    // A very round amount: 100 000 元 instead of 119 395, or 100 001.
    RunCase {
        code: "A07",
        unit: Some("D16"),
        indicator: Some("ZF07"),
        hit: |c| c.edit("D16").set("ZF07", 100_000.0),
        miss: |c| c.edit("D16").set("ZF07", 100_001.0),
    },
    // 持证率 far below the departments' ~90 %: 5 of 26 officers certified, or 24 of 26.
    RunCase {
        code: "A08",
        unit: Some("D06"),
        indicator: Some("RZF01"),
        hit: |c| c.edit("D06").set("ZF02", 5.0),
        miss: |c| c.edit("D06").set("ZF02", 24.0),
    },
    // A county-office-only count doubled (the county's own change), or +5 %.
    RunCase {
        code: "A09",
        unit: None,
        indicator: Some("FW01"),
        hit: |c| {
            let d = c.edit("C01");
            d.set("FW01", 2.0 * d.prev("FW01"));
        },
        miss: |c| {
            let d = c.edit("C01");
            d.set("FW01", (1.05 * d.prev("FW01")).round());
        },
    },
    // 涉企检查 typed as the whole 行政检查次数 (125 of 125, last year 65 of 133), or the
    // share of last year (61 of 125).
    RunCase {
        code: "A12",
        unit: Some("D14"),
        indicator: Some("RZF02"),
        hit: |c| {
            let d = c.edit("D14");
            d.set("ZF05", d.v("ZF04"));
        },
        miss: |c| {
            let d = c.edit("D14");
            let share = d.prev("ZF05") / d.prev("ZF04");
            d.set("ZF05", (share * d.v("ZF04")).round());
        },
    },
    // An amount that goes from 238 260 元 to nothing (HB cannot judge a zero), or stays.
    RunCase {
        code: "A11",
        unit: Some("D04"),
        indicator: Some("ZF07"),
        hit: |c| c.edit("D04").set("ZF07", 0.0),
        miss: |c| {
            let d = c.edit("D04");
            d.set("ZF07", d.prev("ZF07"));
        },
    },
];

/// (code, unit, indicator, severity) of every ranked anomaly of `huizong run`.
fn run_anomalies(pick: fn(&RunCase) -> CountyEdit) -> Vec<(String, String, String, String)> {
    let f = fixture();
    let mut county = County::new();
    for case in RUN_CASES {
        pick(case)(&mut county);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("2024");
    std::fs::create_dir(&input).expect("dir");
    county.write(&input);
    let out = dir.path().join("out");
    let status = huizong()
        .args(["run", "--year", "2024", "--quiet", "--registry"])
        .arg(f.registry_path())
        .arg(&input)
        .arg("--prior")
        .arg(f.root.join("2023"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run runs");
    assert!(
        matches!(status.status.code(), Some(0 | 1)),
        "run failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(out.join("figures_2024.json")).expect("figures");
    let figures: Json = serde_json::from_str(&text).expect("json");
    let s = |a: &Json, k: &str| a[k].as_str().unwrap_or("-").to_string();
    figures["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .map(|a| {
            (
                s(a, "code"),
                s(a, "unit"),
                s(a, "indicator"),
                s(a, "severity"),
            )
        })
        .collect()
}

#[test]
fn anomaly_methods() {
    let hit = run_anomalies(|c| c.hit);
    let miss = run_anomalies(|c| c.miss);
    let matches = |case: &RunCase, a: &(String, String, String, String)| {
        a.0 == case.code
            && case.unit.map_or("-".to_string(), u) == a.1
            && case.indicator.unwrap_or("-") == a.2
    };
    let show = |v: &[(String, String, String, String)]| {
        v.iter()
            .map(|a| format!("{} {} {} {}", a.0, a.1, a.2, a.3))
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    let mut errs = Vec::new();
    for case in RUN_CASES {
        if !hit.iter().any(|a| matches(case, a)) {
            errs.push(format!(
                "{} not ranked for {:?} {:?}",
                case.code, case.unit, case.indicator
            ));
        }
        if miss.iter().any(|a| matches(case, a)) {
            errs.push(format!(
                "{} ranked in the near miss for {:?} {:?}",
                case.code, case.unit, case.indicator
            ));
        }
    }
    assert!(
        errs.is_empty(),
        "{}\nhit:\n  {}\nmiss:\n  {}",
        errs.join("\n"),
        show(&hit),
        show(&miss)
    );
}

// ---------------------------------------------------------------------------------------------
// Through the library

type ValuesEdit = fn(&mut BTreeMap<String, f64>, &Schema);

/// An anomaly found by `anomaly::detect` on the county's values.
struct LibCase {
    code: &'static str,
    unit: &'static str,
    indicator: &'static str,
    params: fn() -> Params,
    hit: ValuesEdit,
    miss: ValuesEdit,
}

/// The reported 持证率 (RZF01, in percent) that matches the unit's counts.
fn rzf01(v: &BTreeMap<String, f64>, schema: &Schema) -> f64 {
    let rate = schema
        .rates
        .iter()
        .find(|r| r.code == "RZF01")
        .expect("RZF01");
    let scale = 10f64.powi(i32::from(rate.decimals));
    (100.0 * v["ZF02"] / v["ZF01"] * scale).round() / scale
}

const LIB_CASES: &[LibCase] = &[
    // A rate the unit typed itself; the same from a workbook row under RZF01 is
    // `a04_from_a_workbook`.
    LibCase {
        code: "A04",
        unit: "D02",
        indicator: "RZF01",
        params: Params::default,
        hit: |v, _| {
            v.insert("RZF01".into(), 50.0);
        },
        miss: |v, s| {
            let r = rzf01(v, s);
            v.insert("RZF01".into(), r);
        },
    },
    // Sigma-gap (off by default) on 件均罚没金额: one department's fines ×200.
    LibCase {
        code: "A10",
        unit: "D10",
        indicator: "RZF03",
        params: || Params {
            sigma_gap: Some(SigmaGapParams::default()),
            ..Params::default()
        },
        hit: |v, _| {
            *v.get_mut("ZF07").expect("ZF07") *= 200.0;
        },
        miss: |_, _| {},
    },
];

#[test]
fn library_only_methods() {
    let f = fixture();
    let mut errs = Vec::new();
    for case in LIB_CASES {
        let findings = |edit: ValuesEdit| {
            let mut units = f.unit_inputs();
            let unit = units
                .iter_mut()
                .find(|x| x.code == u(case.unit))
                .expect("unit");
            edit(&mut unit.values, &f.schema);
            let input = AnomalyInput {
                schema: &f.schema,
                year: Some(YEAR),
                units,
                county: BTreeMap::new(),
                notes: Default::default(),
            };
            anomaly::detect(&input, &(case.params)())
                .into_iter()
                .filter(|x| {
                    x.code == case.code
                        && x.unit.as_deref() == Some(u(case.unit).as_str())
                        && x.indicator.as_deref() == Some(case.indicator)
                })
                .count()
        };
        if findings(case.hit) == 0 {
            errs.push(format!("{} not found for {}", case.code, case.unit));
        }
        if findings(case.miss) != 0 {
            errs.push(format!("{} found in the near miss", case.code));
        }
    }
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

/// D02's workbook with a row under the rate code RZF01 after ZF02, holding `typed` (a number
/// when it parses as one, else text), checked with the prior year: the A04/S08/V02 findings.
fn with_rzf01_row(typed: &str, extra_row: Option<&str>) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    rzf01_draft(typed, extra_row).write_into(dir.path());
    let f = fixture();
    check(dir.path(), Some(&f.file(YEAR - 1, &u("D02"))))
        .iter()
        .filter(|x| matches!(x.code.as_str(), "A04" | "S07" | "S08" | "V02"))
        .map(Found::show)
        .collect()
}

/// D02's draft with the RZF01 row of [`with_rzf01_row`].
fn rzf01_draft(typed: &str, extra_row: Option<&str>) -> Draft {
    let mut d = Draft::new(&u("D02"));
    let i = d
        .writer
        .indicators
        .iter()
        .position(|i| i.code == "ZF02")
        .expect("ZF02");
    let mut rate_row = d.writer.indicators[i].clone();
    rate_row.code = "RZF01".into();
    rate_row.value_type = ValueType::Amount;
    d.writer.indicators.insert(i + 1, rate_row.clone());
    match typed.parse::<f64>() {
        Ok(v) => d.set("RZF01", v),
        Err(_) => d.typed("RZF01", typed),
    }
    if let Some(code) = extra_row {
        let mut other = rate_row;
        other.code = code.into();
        d.writer.indicators.insert(i + 2, other);
        d.set(code, 1.0);
    }
    d
}

#[test]
fn a04_from_a_workbook() {
    let d = Draft::new(&u("D02"));
    let file = d.file_name();
    let rate = rzf01(&d.data.values, &fixture().schema);
    let a04 = |cell: &str| format!("A04 {file}!统计表!{cell} unit={} indicator=RZF01", u("D02"));
    // The rate row sits below ZF02 (row 32 of the template): its 本年数 is D33.
    let hit = with_rzf01_row("50", None);
    assert_eq!(hit, [a04("D33")], "rate {rate}");
    // The near misses: the right rate as a number, as text with %, and a blank row.
    for right in [format!("{rate}"), format!("{rate}%"), String::new()] {
        assert_eq!(
            with_rzf01_row(&right, None),
            Vec::<String>::new(),
            "{right:?}"
        );
    }
    // Typed as a fraction: A04 (a warning that says so).
    assert_eq!(
        with_rzf01_row(&format!("{}", rate / 100.0), None),
        [a04("D33")]
    );
    // Text that is no number is V02 at the cell; an unknown code-like row is S08 at its code.
    let d02 = u("D02");
    assert_eq!(
        with_rzf01_row("约九成", Some("ZF2X9")),
        [
            format!("V02 {file}!统计表!D33 unit={d02} indicator=RZF01"),
            format!("S08 {file}!统计表!A34 unit={d02} indicator=-"),
        ]
    );
}

#[test]
fn a04_from_a_workbook_in_run() {
    let f = fixture();
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("2024");
    std::fs::create_dir(&input).expect("dir");
    rzf01_draft("50", None).write_into(&input);
    let out = dir.path().join("out");
    let status = huizong()
        .args(["run", "--year", "2024", "--quiet", "--registry"])
        .arg(f.registry_path())
        .arg(&input)
        .arg("--prior")
        .arg(f.root.join("2023"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run runs");
    assert!(
        matches!(status.status.code(), Some(0 | 1)),
        "run failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(out.join("figures_2024.json")).expect("figures");
    let figures: Json = serde_json::from_str(&text).expect("json");
    let a04: Vec<(&str, &str, &str)> = figures["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|a| a["code"] == "A04")
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or("-");
            (s("unit"), s("indicator"), s("severity"))
        })
        .collect();
    let d02 = u("D02");
    assert_eq!(a04, [(d02.as_str(), "RZF01", "error")]);
    // The typed rate is compared, never aggregated: the unit's figures hold indicators only.
    let unit = figures["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|x| x["code"] == d02.as_str())
        .expect("D02 row");
    assert!(unit["values"].get("ZF02").is_some(), "{unit}");
    assert!(unit["values"].get("RZF01").is_none(), "{unit}");
}

// ---------------------------------------------------------------------------------------------
// Cases with their own test

/// (code, the test that triggers it and its near miss).
const SPECIAL: &[(&str, &str)] = &[
    ("S09", "s09_file_over_the_size_limit"),
    ("S10", "s10_two_files_for_one_unit"),
    ("S14", "s14_a_later_version_replaces_the_earlier"),
    ("S15", "s15_prior_code_neither_edition_knows"),
    ("X01", "x01_panic_while_reading"),
    // Covered where the file-system cases live (symlinks, FIFOs, copies), with their near misses.
    (
        "S12",
        "tests/outputs.rs unreadable_entries_are_findings_and_the_batch_still_runs",
    ),
    (
        "S13",
        "tests/outputs.rs a_byte_identical_copy_is_one_submission",
    ),
    (
        "N03",
        "tests/ingest.rs n03_every_misleading_format_and_none_for_plain_ones",
    ),
];

#[test]
fn s09_file_over_the_size_limit() {
    let f = fixture();
    let path = f.file(YEAR, &u("D02"));
    let size = std::fs::metadata(&path).expect("file").len();
    let read = |max: u64| {
        let limits = Limits {
            max_file_bytes: max,
            ..Limits::default()
        };
        ingest::read_file_with_limits(&path, "D02.xlsx", &f.schema, &limits)
    };
    let hit = read(size - 1);
    assert!(hit.submission.is_none());
    assert!(
        hit.diagnostics.iter().any(|d| d.code == "S09"),
        "{:?}",
        hit.diagnostics
    );
    let miss = read(size);
    assert!(miss.submission.is_some());
    assert!(
        miss.diagnostics.iter().all(|d| d.code != "S09"),
        "{:?}",
        miss.diagnostics
    );
}

/// The saved time our templates carry in `docProps/core.xml`.
const TEMPLATE_SAVED: &str = "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">2000-01-01T00:00:00Z";

/// D02's workbook plus a second, different version of `second`'s under `name`, saved at
/// `saved` (W3C time) when given; checked as a folder.
fn two_versions(second: &str, name: &str, saved: Option<&str>) -> Vec<Found> {
    let dir = tempfile::tempdir().expect("temp dir");
    Draft::new(&u("D02")).write_into(dir.path());
    let mut other = Draft::new(&u(second));
    other.add("ZL02", 1.0);
    if let Some(t) = saved {
        let to = TEMPLATE_SAVED.replace("2000-01-01T00:00:00Z", t);
        other
            .patches
            .push(("docProps/core.xml", TEMPLATE_SAVED.to_string(), to));
    }
    std::fs::write(dir.path().join(name), other.bytes()).expect("written");
    check(dir.path(), None)
}

#[test]
fn s10_two_files_for_one_unit() {
    // Another version under a name without a version mark, saved at the same time: no order.
    let hit = two_versions("D02", "副本.xlsx", None);
    let s10: Vec<&Found> = hit.iter().filter(|x| x.code == "S10").collect();
    assert_eq!(s10.len(), 2, "{hit:#?}");
    assert!(s10.iter().any(|x| x.file.ends_with("副本.xlsx")));
    assert!(s10
        .iter()
        .all(|x| x.unit.as_deref() == Some(u("D02").as_str())));
    // A version marked later but saved two days before the first decides nothing either.
    let contradicted = two_versions("D02", "副本(修改).xlsx", Some("1999-12-30T00:00:00Z"));
    assert_eq!(
        contradicted.iter().filter(|x| x.code == "S10").count(),
        2,
        "{contradicted:#?}"
    );
    let miss = two_versions("D03", "副本.xlsx", None);
    assert!(miss.iter().all(|x| x.code != "S10"), "{miss:#?}");
}

#[test]
fn s14_a_later_version_replaces_the_earlier() {
    let first = Draft::new(&u("D02")).file_name();
    let only_s14 = |found: &[Found], replaced: &str| {
        let s14: Vec<&Found> = found.iter().filter(|x| x.code == "S14").collect();
        assert_eq!(s14.len(), 1, "{found:#?}");
        assert!(s14[0].file.ends_with(replaced), "{found:#?}");
        assert!(found.iter().all(|x| x.code != "S10"), "{found:#?}");
    };
    // A mark in the name: the marked file replaces the first one.
    only_s14(&two_versions("D02", "第二版.xlsx", None), &first);
    // No mark: the saved time in the document properties decides, either way round.
    only_s14(
        &two_versions("D02", "副本.xlsx", Some("2025-01-10T08:30:00Z")),
        &first,
    );
    only_s14(
        &two_versions("D02", "副本.xlsx", Some("1999-06-01T08:30:00Z")),
        "副本.xlsx",
    );
    // Near miss: the same name without a later mark or time is no later version.
    let miss = two_versions("D02", "副本.xlsx", None);
    assert!(miss.iter().all(|x| x.code != "S14"), "{miss:#?}");
}

#[test]
fn s15_prior_code_neither_edition_knows() {
    // Last year's history under a code the schema in force does not know (the renamed GF01 of
    // another edition, no 指标体系 column): a finding on the history file, not a silent drop.
    let d02 = u("D02");
    let dir = tempfile::tempdir().expect("temp dir");
    Draft::new(&d02).write_into(dir.path());
    let history = |code: &str| {
        let p = dir.path().join(format!("history_{code}.csv"));
        let text = format!(
            "年度,单位代码,单位类型,指标代码,数值,来源\n{},{d02},department,{code},4,上年.xlsx!统计表!D5\n",
            YEAR - 1
        );
        std::fs::write(&p, text).expect("history written");
        p
    };
    let hit = check(dir.path(), Some(&history("GX01")));
    let s15: Vec<&Found> = hit.iter().filter(|x| x.code == "S15").collect();
    assert_eq!(s15.len(), 1, "{hit:#?}");
    assert!(s15[0].file.ends_with("history_GX01.csv"), "{hit:#?}");
    assert_eq!(s15[0].indicator.as_deref(), Some("GX01"));
    // Near miss: a code of the edition in force.
    let miss = check(dir.path(), Some(&history("GF01")));
    assert!(miss.iter().all(|x| x.code != "S15"), "{miss:#?}");
}

#[test]
fn x01_panic_while_reading() {
    // A panic inside the reader is the program's own error (X01), not the unit's (S01). Debug
    // builds panic on purpose for a file named in HUIZONG_DEBUG_PANIC_IN_READER
    // (src/ingest/guard.rs); the near miss is the same file without the switch.
    let d = Draft::new(&u("D02"));
    let dir = tempfile::tempdir().expect("temp dir");
    d.write_into(dir.path());
    let run = |trigger: &str| -> (Vec<String>, String) {
        let out = huizong()
            .args(["check", "--format", "json", "--registry"])
            .arg(fixture().registry_path())
            .arg(dir.path())
            .env("HUIZONG_DEBUG_PANIC_IN_READER", trigger)
            .output()
            .expect("check runs");
        let doc: Json = serde_json::from_slice(&out.stdout).expect("check --format json");
        let codes = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["code"].as_str().map(str::to_string))
            .collect();
        (codes, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (hit, stderr) = run("D02");
    assert!(hit.iter().any(|c| c == "X01"), "{hit:?}");
    assert!(!hit.iter().any(|c| c == "S01"), "{hit:?}");
    assert!(stderr.is_empty(), "{stderr}");
    let (miss, _) = run("");
    assert!(!miss.iter().any(|c| c == "X01"), "{miss:?}");
}

// ---------------------------------------------------------------------------------------------
// The table itself

fn all_codes() -> Vec<Code> {
    let mut all: Vec<Code> = TABLE.iter().map(|c| c.code).collect();
    all.extend(Schema::default_schema().rules.iter().map(|r| r.code));
    all
}

#[test]
fn codes_are_unique_across_the_table_and_the_schema() {
    let all = all_codes();
    let mut seen = BTreeSet::new();
    let dups: Vec<&Code> = all.iter().filter(|c| !seen.insert(**c)).collect();
    assert!(dups.is_empty(), "defined twice: {dups:?}");
}

#[test]
fn every_code_has_a_case() {
    let covered: BTreeSet<String> = FILE_CASES
        .iter()
        .map(|c| c.code)
        .chain(COUNTY_CHECKS.iter().map(|c| c.code))
        .chain(RUN_CASES.iter().map(|c| c.code))
        .chain(LIB_CASES.iter().map(|c| c.code))
        .chain(SPECIAL.iter().map(|c| c.0))
        .map(str::to_string)
        .collect();
    let all: BTreeSet<String> = all_codes().iter().map(|c| c.to_string()).collect();
    let missing: Vec<&String> = all.difference(&covered).collect();
    let unknown: Vec<&String> = covered.difference(&all).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "codes without a case in tests/codes.rs: {missing:?}; cases for codes that do not exist: {unknown:?}"
    );
}

#[test]
fn rules_md_is_generated_and_current() {
    let want = explain::markdown(&Schema::default_schema());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is not the current output of `huizong rule --markdown`.\n\
         Regenerate it with:\n\n    cargo run -q -- rule --markdown > docs/rules.md\n"
    );
}

#[test]
fn rule_explains_one_code() {
    let out = huizong().args(["rule", "V50"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).expect("utf-8");
    insta::assert_snapshot!(text);
}
