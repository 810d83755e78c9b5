//! `huizong draft`: county figures built by hand with the sample values of the seeds → the exact
//! seed sentences in Markdown, in .docx (read back, and through LibreOffice), the 数据来源 table,
//! omitted sentences, and a county's own templates.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use huizong::aggregate::{Coverage, Figures, IndicatorFigure, RateFigure, UnitRow};
use huizong::cli::{DraftArgs, Outcome};
use huizong::draft::{self, markdown, wording, OmitReason, TemplateSet};
use huizong::registry::UnitKind;
use huizong::schema::Aggregation;

const FUYI: &str = "全年收到行政复议案件70件，与去年同期相比收案量增长204%";
const GUIFAN: &str = "全年共制定印发规范性文件9件，比去年减少8件，同比减少47%";
const SUSONG: &str = "审结56件，行政败诉案件5件，败诉率8.93%";

fn indicator(code: &str, name: &str, value: Option<f64>, prior: Option<f64>) -> IndicatorFigure {
    IndicatorFigure {
        code: code.into(),
        name: name.into(),
        unit: "件".into(),
        section: code.get(..2).unwrap_or_default().into(),
        aggregation: Aggregation::County,
        value,
        prior,
        prior_reported: prior,
        prior_excluded: vec![],
        change: value.zip(prior).map(|(v, p)| v - p),
        change_pct: value
            .zip(prior)
            .filter(|(_, p)| *p != 0.0)
            .map(|(v, p)| (v - p) / p),
        subtotals: BTreeMap::new(),
        units_reporting: u32::from(value.is_some()),
        yes: None,
        expected_units: None,
        unverified: vec![],
        comparable: true,
        not_comparable_reason: None,
        prior_mapping: None,
    }
}

fn rate(
    code: &str,
    name: &str,
    num: (&str, f64),
    den: (&str, f64),
    prior: Option<(f64, f64)>,
) -> RateFigure {
    let value = (den.1 != 0.0).then(|| num.1 / den.1);
    let prior_value = prior.filter(|(_, d)| *d != 0.0).map(|(n, d)| n / d);
    RateFigure {
        code: code.into(),
        name: name.into(),
        numerator_text: num.0.into(),
        denominator_text: den.0.into(),
        numerator_label: String::new(),
        denominator_label: String::new(),
        numerator: num.1,
        denominator: den.1,
        value,
        prior_numerator: prior.map(|p| p.0),
        prior_denominator: prior.map(|p| p.1),
        prior_value,
        prior_reported_numerator: prior.map(|p| p.0),
        prior_reported_denominator: prior.map(|p| p.1),
        prior_reported: prior_value,
        change_pp: value.zip(prior_value).map(|(v, p)| (v - p) * 100.0),
        decimals: 2,
        units: 1,
        unverified: vec![],
        comparable: true,
        not_comparable_reason: None,
    }
}

fn unit(code: &str, kind: UnitKind, values: &[(&str, f64)]) -> UnitRow {
    UnitRow {
        code: code.into(),
        name: code.into(),
        kind,
        values: values.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
        prior: BTreeMap::new(),
        origins: BTreeMap::new(),
    }
}

/// The seed figures: 复议 70 (23), 规范性文件 9 (17), court 64/56/5 (prior 6 of 48).
fn sample() -> Figures {
    Figures {
        year: 2024,
        prior_year: 2023,
        schema_id: "fazhi".into(),
        schema_edition: "2024".into(),
        level: Default::default(),
        region: None,
        coverage: Coverage {
            expected: vec!["C01".into(), "D01".into(), "K01".into()],
            received: vec!["C01".into(), "D01".into(), "K01".into()],
            accepted: vec!["C01".into(), "D01".into(), "K01".into()],
            ..Coverage::default()
        },
        indicators: vec![
            indicator("GF01", "制定印发行政规范性文件件数", Some(9.0), Some(17.0)),
            indicator("FY02", "收到行政复议申请件数", Some(70.0), Some(23.0)),
            indicator("YS08", "县法院受理一审行政案件数", Some(64.0), Some(50.0)),
            indicator("YS09", "县法院一审审结行政案件数", Some(56.0), Some(48.0)),
            indicator("YS10", "县法院判决行政机关败诉案件数", Some(5.0), Some(6.0)),
        ],
        rates: vec![rate(
            "RYS02c",
            "行政诉讼败诉率(法院口径)",
            ("YS10", 5.0),
            ("YS09", 56.0),
            Some((6.0, 48.0)),
        )],
        units: vec![
            unit(
                "C01",
                UnitKind::CountyOffice,
                &[("FY02", 70.0), ("GF01", 5.0)],
            ),
            unit("D01", UnitKind::Department, &[("GF01", 4.0)]),
            unit(
                "K01",
                UnitKind::External,
                &[("YS08", 64.0), ("YS09", 56.0), ("YS10", 5.0)],
            ),
        ],
    }
}

fn set_indicator(f: &mut Figures, code: &str, value: Option<f64>, prior: Option<f64>) {
    if let Some(i) = f.indicators.iter_mut().find(|i| i.code == code) {
        *i = indicator(code, &i.name, value, prior);
    }
}

fn render_md(f: &Figures) -> String {
    let d = draft::draft(f, &TemplateSet::defaults()).expect("draft renders");
    markdown::render(&d)
}

/// Writes `figures_<year>.json` as `huizong run` does and returns the folder.
fn run_folder(f: &Figures) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = serde_json::to_string_pretty(f).expect("figures serialise");
    std::fs::write(dir.path().join(draft::figures_file_name(f.year)), json).expect("write json");
    dir
}

fn run_draft(from: &Path, out: &Path, templates: Option<PathBuf>) -> huizong::Result<Outcome> {
    huizong::commands::draft::run(&DraftArgs {
        year: 2024,
        from: from.to_path_buf(),
        out: out.to_path_buf(),
        templates,
    })
}

/// The text of word/document.xml with the tags stripped.
fn docx_text(path: &Path) -> String {
    let file = std::fs::File::open(path).expect("open docx");
    let mut zip = zip::ZipArchive::new(file).expect("docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("document part")
        .read_to_string(&mut xml)
        .expect("utf-8");
    let mut text = String::new();
    let mut in_tag = false;
    for ch in xml.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[test]
fn markdown_has_the_three_seed_sentences() {
    let md = render_md(&sample());
    for s in [FUYI, GUIFAN, SUSONG] {
        assert!(md.contains(s), "missing {s:?} in\n{md}");
    }
    assert!(md.contains("县法院全年共受理一审行政诉讼案件64件，审结56件，行政败诉案件5件，败诉率8.93%，比上年下降3.57个百分点。"));
    assert!(md.contains("## 二、行政复议"), "{md}");
    assert!(!md.contains("注："), "no note without held-back units");
}

#[test]
fn full_markdown_snapshot() {
    insta::assert_snapshot!(render_md(&sample()));
}

#[test]
fn command_writes_markdown_and_sources_table() {
    let from = run_folder(&sample());
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("报告.md");
    assert_eq!(
        run_draft(from.path(), &out, None).expect("runs"),
        Outcome::Clean
    );
    let md = std::fs::read_to_string(&out).expect("md written");
    for s in [FUYI, GUIFAN, SUSONG] {
        assert!(md.contains(s), "missing {s:?}");
    }
    let csv = std::fs::read(out_dir.path().join("报告_数据来源.csv")).expect("csv written");
    assert!(csv.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
    let csv = String::from_utf8(csv).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.first().map(|l| l.trim_start_matches('\u{feff}')),
        Some("段落,数值,指标代码,指标名称,本年,上年,来源单位,待核实单位")
    );
    assert!(
        lines.contains(&"行政复议,70,FY02,收到行政复议申请件数,70,23,C01,"),
        "{csv}"
    );
    assert!(
        lines.contains(&"行政复议,增长204%,FY02,收到行政复议申请件数,70,23,C01,"),
        "{csv}"
    );
    assert!(
        lines.contains(
            &"规范性文件,比去年减少8件，同比减少47%,GF01,制定印发行政规范性文件件数,9,17,C01、D01,"
        ),
        "{csv}"
    );
    assert!(
        lines.contains(
            &"行政应诉,8.93%,RYS02c,行政诉讼败诉率(法院口径),8.93%（5/56）,12.50%（6/48）,K01,"
        ),
        "{csv}"
    );
}

/// D01's 规范性文件 count and K01's court figures are not verified yet: their sentences say so
/// right after the figure's clause, the others do not; the sources and the list name the units.
#[test]
fn figures_resting_on_unverified_values_are_never_plain_fact() {
    let mut f = sample();
    for i in f.indicators.iter_mut() {
        match i.code.as_str() {
            "GF01" => i.unverified = vec!["D01".into()],
            "YS10" => i.unverified = vec!["K01".into()],
            _ => {}
        }
    }
    f.rates[0].unverified = vec!["K01".into()];
    let d = draft::draft(&f, &TemplateSet::defaults()).expect("draft");
    let md = markdown::render(&d);
    assert!(
        md.contains("全年共制定印发规范性文件9件，比去年减少8件，同比减少47%（含待核实数据）。"),
        "{md}"
    );
    // one note per sentence, however many of its figures are unverified
    assert!(
        md.contains("县法院全年共受理一审行政诉讼案件64件，审结56件，行政败诉案件5件，败诉率8.93%，比上年下降3.57个百分点（含待核实数据）。"),
        "{md}"
    );
    assert!(md.contains(&format!("{FUYI}。")), "verified: plain");
    assert!(!md.contains('\u{E000}'), "no marker left");
    assert!(md.contains("## 含待核实数据的数字"), "{md}");
    assert!(
        md.contains("- 规范性文件：制定印发行政规范性文件件数（GF01）含D01（D01）尚未核实的数值"),
        "{md}"
    );
    let codes: Vec<&str> = d.unverified.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes, ["GF01", "YS10", "RYS02c"]);
    let csv = String::from_utf8(draft::sources::to_csv(&d.sources).expect("csv")).expect("utf-8");
    assert!(
        csv.contains("规范性文件,9,GF01,制定印发行政规范性文件件数,9,17,C01、D01,D01\n"),
        "{csv}"
    );
    assert!(csv.contains("行政复议,70,FY02,收到行政复议申请件数,70,23,C01,\n"));
    // The docx carries the same text and list.
    let text = draft::docx::document_xml(&d);
    assert!(text.contains("同比减少47%（含待核实数据）。"));
    assert!(text.contains("含待核实数据的数字"));
    // A sentence that is left out for missing data is still only listed as omitted.
    set_indicator(&mut f, "FY02", None, Some(23.0));
    let md = render_md(&f);
    assert!(md.contains("- 行政复议：行政复议收案数（数据缺失：FY02）"));
}

#[test]
fn unverified_notes_go_to_the_end_of_their_sentence() {
    use huizong::draft::context::{place_unverified_notes, UNVERIFIED_MARK as M};
    assert_eq!(
        place_unverified_notes(&format!(
            "收案70{M}件，增长204%。审结52件{M}{M}；纠错11件。"
        )),
        "收案70件，增长204%（含待核实数据）。审结52件（含待核实数据）；纠错11件。"
    );
    assert_eq!(
        place_unverified_notes(&format!("共9{M}件")),
        "共9件（含待核实数据）"
    );
    assert_eq!(place_unverified_notes("共9件。"), "共9件。");
}

#[test]
fn docx_is_a_valid_package_with_the_sentences() {
    let from = run_folder(&sample());
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("报告.docx");
    run_draft(from.path(), &out, None).expect("runs");
    let text = docx_text(&out);
    for s in [FUYI, GUIFAN, SUSONG] {
        assert!(text.contains(s), "missing {s:?} in {text}");
    }
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).expect("open")).expect("zip");
    let names: Vec<String> = (0..zip.len())
        .filter_map(|i| {
            zip.by_index(i)
                .ok()
                .and_then(|f| f.name().ok().map(|n| n.to_string()))
        })
        .collect();
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/styles.xml",
        "word/_rels/document.xml.rels",
        "docProps/core.xml",
        "docProps/app.xml",
        "word/footer1.xml",
    ] {
        assert!(names.iter().any(|n| n == part), "missing part {part}");
    }
    // The page number, "— 1 —" as GB/T 9704 sets it: a PAGE field between two 一字线, used by
    // the section.
    let read = |zip: &mut zip::ZipArchive<std::fs::File>, part: &str| {
        let mut text = String::new();
        zip.by_name(part)
            .expect(part)
            .read_to_string(&mut text)
            .expect("utf-8");
        text
    };
    let footer = read(&mut zip, "word/footer1.xml");
    assert!(
        footer.contains("— </w:t>") && footer.contains(" PAGE ") && footer.contains(" —</w:t>")
    );
    assert!(read(&mut zip, "word/document.xml")
        .contains(r#"<w:footerReference w:type="default" r:id="rId2"/>"#));
    let mut styles = String::new();
    zip.by_name("word/styles.xml")
        .expect("styles")
        .read_to_string(&mut styles)
        .expect("utf-8");
    assert!(styles.contains("仿宋") && styles.contains("Heading1"));
    assert!(out_dir.path().join("报告_数据来源.csv").is_file());
}

#[test]
fn docx_is_byte_identical_across_runs() {
    let d = draft::draft(&sample(), &TemplateSet::defaults()).expect("draft");
    let a = draft::docx::to_docx(&d).expect("docx");
    let b = draft::docx::to_docx(&d).expect("docx");
    assert_eq!(a, b);
}

#[test]
fn missing_figure_drops_the_sentence_and_lists_it() {
    let mut f = sample();
    set_indicator(&mut f, "FY02", None, Some(23.0));
    let d = draft::draft(&f, &TemplateSet::defaults()).expect("draft");
    let md = markdown::render(&d);
    assert!(!md.contains("行政复议案件"), "{md}");
    let o = d
        .omitted
        .iter()
        .find(|o| o.codes == ["FY02"])
        .expect("FY02 sentence listed as omitted");
    assert_eq!(o.reason, OmitReason::Missing);
    assert_eq!(o.section, "行政复议");
    assert!(md.contains("## 未生成的句子"));
    assert!(
        md.contains("- 行政复议：行政复议收案数（数据缺失：FY02）"),
        "{md}"
    );
    // The other sentences are still there.
    assert!(md.contains(GUIFAN) && md.contains(SUSONG));
}

#[test]
fn held_back_units_give_the_reason_and_the_note() {
    let mut f = sample();
    set_indicator(&mut f, "FY02", None, Some(23.0));
    f.coverage.held_back = vec!["D02".into(), "T07".into()];
    let d = draft::draft(&f, &TemplateSet::defaults()).expect("draft");
    let o = d
        .omitted
        .iter()
        .find(|o| o.codes == ["FY02"])
        .expect("omitted");
    assert_eq!(o.reason, OmitReason::HeldBack);
    let md = markdown::render(&d);
    assert!(
        md.contains("注：以下数据覆盖3个单位，另有2个单位因数据错误暂未纳入"),
        "{md}"
    );
}

#[test]
fn comparable_scope_sentence_when_the_unit_sets_differ() {
    // Same units both years: no note at all.
    assert_eq!(draft::coverage_note(&sample()), None);
    // Two units held back and one missing this year, all three with last year's data; one new
    // unit without any: the 同比 is over this year's aggregated units, and the note says so.
    let mut f = sample();
    f.coverage.held_back = vec!["D02".into(), "T07".into()];
    f.coverage.missing = vec!["D09".into()];
    f.coverage.prior_excluded = vec!["D02".into(), "T07".into(), "D09".into()];
    let d = draft::draft(&f, &TemplateSet::defaults()).expect("draft");
    assert_eq!(
        d.note.as_deref(),
        Some(
            "注：以下数据覆盖3个单位，另有2个单位因数据错误暂未纳入。\
             同比按本年已汇总的3个单位计算（另有2个单位暂未汇总、1个单位未报送）。"
        )
    );
    let md = markdown::render(&d);
    // The seed sentences stay as they are.
    for s in [FUYI, GUIFAN, SUSONG] {
        assert!(md.contains(s), "{s}");
    }
    f.coverage.held_back.clear();
    f.coverage.prior_excluded = vec!["D09".into(), "T20".into()];
    f.coverage.without_prior = vec!["D01".into()];
    assert_eq!(
        draft::scope_sentence(&f).as_deref(),
        Some("同比按本年已汇总的3个单位计算（另有1个单位未报送、1个单位本年不再报送；其中1个单位上年无数据）。")
    );
    // Without last year's figures there is nothing to scope.
    for i in &mut f.indicators {
        i.prior = None;
    }
    f.rates.clear();
    f.coverage.prior_excluded.clear();
    assert_eq!(draft::scope_sentence(&f), None);
}

#[test]
fn missing_prior_year_keeps_the_figure_and_drops_the_comparison() {
    let mut f = sample();
    set_indicator(&mut f, "FY02", Some(70.0), None);
    let d = draft::draft(&f, &TemplateSet::defaults()).expect("draft");
    let md = markdown::render(&d);
    assert!(md.contains("全年收到行政复议案件70件。"), "{md}");
    let o = d
        .omitted
        .iter()
        .find(|o| o.sentence == "行政复议收案量同比")
        .expect("comparison listed");
    assert_eq!(o.reason, OmitReason::PriorMissing);
}

#[test]
fn zero_prior_year_says_new_without_percent() {
    let mut f = sample();
    set_indicator(&mut f, "FY02", Some(70.0), Some(0.0));
    set_indicator(&mut f, "GF01", Some(9.0), Some(0.0));
    let md = render_md(&f);
    assert!(
        md.contains("全年收到行政复议案件70件，上年为0，新增70件。"),
        "{md}"
    );
    assert!(
        md.contains("全年共制定印发规范性文件9件，上年为0，新增9件。"),
        "{md}"
    );
}

#[test]
fn unchanged_and_increasing_counts() {
    let mut f = sample();
    set_indicator(&mut f, "GF01", Some(17.0), Some(17.0));
    set_indicator(&mut f, "FY02", Some(20.0), Some(25.0));
    let md = render_md(&f);
    assert!(
        md.contains("全年共制定印发规范性文件17件，与去年持平。"),
        "{md}"
    );
    assert!(md.contains("与去年同期相比收案量减少20%。"), "{md}");
    let text = md.split("## 未生成的句子").next().unwrap_or_default();
    assert!(
        !text.contains('-'),
        "no negative numbers in the text: {text}"
    );
}

#[test]
fn county_templates_override_one_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("fy.j2"),
        "{% if need(\"复议收案\", \"FY02\") %}\n本年度复议机关收案{{ v(\"FY02\") }}件，{{ \"FY02\"|change_words }}，{{ pct_words(\"FY02\") }}。\n{% endif %}\n",
    )
    .expect("write template");
    let set = TemplateSet::with_overrides(dir.path()).expect("loads");
    let md = markdown::render(&draft::draft(&sample(), &set).expect("draft"));
    assert!(
        md.contains("本年度复议机关收案70件，增加47件，增长204%。"),
        "{md}"
    );
    assert!(!md.contains(FUYI), "default fy.j2 replaced");
    assert!(
        md.contains(GUIFAN),
        "other sections fall back to the defaults"
    );

    // Through the command, too.
    let from = run_folder(&sample());
    let out = dir.path().join("out.md");
    run_draft(from.path(), &out, Some(dir.path().to_path_buf())).expect("runs");
    let text = std::fs::read_to_string(&out).expect("md");
    assert!(text.contains("本年度复议机关收案70件"));
}

#[test]
fn template_using_a_missing_figure_without_need_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("fy.j2"), "收案{{ v(\"FY02\") }}件。\n").expect("write");
    let mut f = sample();
    set_indicator(&mut f, "FY02", None, None);
    let set = TemplateSet::with_overrides(dir.path()).expect("loads");
    let err = draft::draft(&f, &set)
        .expect_err("no placeholder is written")
        .to_string();
    assert!(
        err.contains("fy.j2") && err.contains("FY02") && err.contains("need"),
        "{err}"
    );

    std::fs::write(dir.path().join("fy.j2"), "{% if need(\"x\", \"FY02\") %}\n").expect("write");
    let set = TemplateSet::with_overrides(dir.path()).expect("loads");
    let err = draft::draft(&sample(), &set)
        .expect_err("syntax error")
        .to_string();
    assert!(err.contains("措辞模板") && err.contains("fy.j2"), "{err}");
}

#[test]
fn missing_figures_file_is_a_clear_error() {
    let empty = tempfile::tempdir().expect("tempdir");
    let out = empty.path().join("a.md");
    let err = run_draft(empty.path(), &out, None)
        .expect_err("no figures")
        .to_string();
    assert!(err.contains("找不到 figures_2024.json"), "{err}");
    assert!(!out.exists());

    let from = run_folder(&sample());
    let err = run_draft(from.path(), &empty.path().join("a.txt"), None)
        .expect_err("bad extension")
        .to_string();
    assert!(err.contains(".docx 或 .md"), "{err}");
}

#[test]
fn wording_rules_through_the_public_api() {
    assert_eq!(wording::pct_words(70.0, 23.0, "件"), "增长204%");
    assert_eq!(
        wording::yoy_clause(9.0, 17.0, "件"),
        "比去年减少8件，同比减少47%"
    );
    assert_eq!(wording::yoy_clause(9.0, 0.0, "件"), "上年为0，新增9件");
    assert_eq!(wording::pct_words(5.0, 5.0, "件"), "持平");
    assert_eq!(wording::pp_words(0.0893, 0.125, 2), "下降3.57个百分点");
    assert_eq!(wording::percent(5.0 / 56.0, 2), "8.93%");
    assert_eq!(wording::number(1_642_345.0), "164.2万");
    assert_eq!(wording::pct_words(95.0, 100.0, "件"), "减少5%");
}

/// LibreOffice must open the .docx. Fails (does not skip) when LibreOffice is absent, unless
/// HUIZONG_SKIP_LIBREOFFICE is set.
#[test]
fn libreoffice_reads_the_docx() {
    let from = run_folder(&sample());
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("draft.docx");
    run_draft(from.path(), &out, None).expect("runs");
    if !common::libreoffice_convert(std::slice::from_ref(&out), "txt:Text", work.path()) {
        return;
    }
    let text = std::fs::read_to_string(work.path().join("draft.txt")).expect("converted text");
    for s in [FUYI, GUIFAN, SUSONG] {
        assert!(text.contains(s), "missing {s:?} in {text}");
    }
}

/// Every code quoted in the default templates (`"FY02"`, `"RYS02c"` …).
fn template_codes() -> Vec<String> {
    let mut codes: Vec<String> = draft::SECTIONS
        .iter()
        .flat_map(|s| s.default.split('"').skip(1).step_by(2))
        .filter(|t| {
            let b = t.as_bytes();
            b.len() >= 4
                && (b[..2].iter().all(u8::is_ascii_uppercase) || b.first() == Some(&b'R'))
                && t.chars().all(|c| c.is_ascii_alphanumeric())
                && t.chars().any(|c| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Figures with every template code filled (counts 10·k, prior 8·k; rates 3/4 vs 1/2; yes 12 of 15).
fn full() -> Figures {
    let mut f = sample();
    for (k, code) in template_codes().into_iter().enumerate() {
        if f.indicator(&code).is_some() || f.rate(&code).is_some() {
            continue;
        }
        let k = k as f64 + 1.0;
        if code.starts_with('R') {
            f.rates
                .push(rate(&code, &code, ("A", 3.0), ("B", 4.0), Some((1.0, 2.0))));
        } else {
            let mut i = indicator(&code, &code, Some(10.0 * k), Some(8.0 * k));
            i.unit = match code.as_str() {
                "ZL01" | "ZL02" | "ZL05" | "ZF04" | "ZF05" | "JF03" => "次",
                "ZF06" | "ZF09" => "宗",
                "GK01" | "PF04" | "JC08" | "ZF13" | "ZF14" => "条",
                "ZF07" => "元",
                _ => "件",
            }
            .into();
            if ["ZL04", "GW01", "GK04"].contains(&code.as_str()) {
                i.yes = Some(12);
                i.expected_units = Some(15);
                i.units_reporting = 15;
            }
            f.indicators.push(i);
        }
    }
    // Large values are written in 万; money in 元.
    set_indicator(&mut f, "FW05", Some(1_642_345.0), Some(1_500_000.0));
    f
}

#[test]
fn every_default_template_renders_with_full_data() {
    let codes = template_codes();
    assert!(codes.len() > 60, "{codes:?}");
    let d = draft::draft(&full(), &TemplateSet::defaults()).expect("draft");
    assert!(d.omitted.is_empty(), "{:?}", d.omitted);
    assert_eq!(d.sections.len(), draft::SECTIONS.len());
    let md = markdown::render(&d);
    assert!(md.contains(FUYI) && md.contains(GUIFAN) && md.contains(SUSONG));
    assert!(
        md.contains("全年累计办件164.2万件，比去年增加14.2万件，同比增长9%。"),
        "{md}"
    );
    insta::assert_snapshot!(md);
}

#[test]
fn binary_prints_outputs_and_omitted_sentences() {
    let mut f = sample();
    set_indicator(&mut f, "FY02", None, None);
    let from = run_folder(&f);
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("数据段落.docx");
    let assert = assert_cmd::Command::cargo_bin("huizong")
        .expect("binary")
        .args(["draft", "--year", "2024", "--from"])
        .arg(from.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let output = assert.get_output();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains("数据段落.docx") && stdout.contains("数据段落_数据来源.csv"),
        "{stdout}"
    );
    assert!(
        stderr.contains("未生成的句子") && stderr.contains("行政复议收案数（数据缺失：FY02）"),
        "{stderr}"
    );
    assert!(out.is_file());
}
