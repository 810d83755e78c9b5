//! Anomaly spotting: the plausible-looking but costly mistakes that rules cannot catch (unit slips,
//! copied years, implausible year-on-year jumps, outliers among peers), ranked for review.
//!
//! The methods and their worked numbers come from `docs/reference/anomaly-methods.md` (§2 methods, §3.3
//! defaults, §3.5 acceptance, §3.6 result columns, §4 ranking). Entry point: [`detect`], which
//! the `run` command calls with the accepted units of the year; it returns ranked [`Finding`]s,
//! each convertible to a [`Diagnostic`] with [`Finding::to_diagnostic`].
//!
//! | code | default severity | method | module |
//! |---|---|---|---|
//! | A01 | warning / info | Hidiroglou–Berthelot YoY test, Banff conventions, floor, tie rule (§2.1), gated by [`gate`] | [`hb`] |
//! | A02 | warning / info | exact conditional Poisson test for counts, trend-adjusted (§2.3) | [`poisson`] |
//! | A03 | warning | 元/千元/万元 unit slip, or an extreme jump ≥ 10^2.5 (§2.4) | [`unit_error`] |
//! | A04 | error / warning | reported rate versus its counts (§2.6) | [`rate`] |
//! | A05 | warning | copy of last year (§2.7) | [`copy`] |
//! | A06 | error | identical submissions from two units (§2.7) | [`copy`] |
//! | A07 | info / warning | round-number heaping (§2.8); a warning when ≥ 90 % of a unit's ≥ 8 counts are round | [`heaping`] |
//! | A08 | info | peer comparison: modified z on the log scale within a unit kind (§2.5) | [`peer`] |
//! | A09 | info | county-level change and the units that explain it (§2.10) | [`county`] |
//! | A10 | info | sigma-gap among peers (§2.2), off unless [`Params::sigma_gap`] is set | [`sigma_gap`] |
//! | A11 | warning | trend-adjusted ratio bounds and zero transitions for amounts (§2.3) | [`ratio`] |
//! | A12 | warning / info | a proportion's YoY change on the logit scale against its kind, when the denominator stays put | [`rate_shift`] |
//!
//! YoY routing per indicator and unit kind: amounts first go through A03 (flagged units leave
//! the trend and HB); a kind with fewer than two units (county office, court) stops there, as
//! its change is the county's own and belongs to A09; then HB (A01) runs on the units with both
//! years > 0 when there are at least `min_n` of them (a count below `max(prev, cur) = 20`
//! takes part but is judged by A02);
//! units HB did not cover (zeros, small counts, or the whole group when HB did not run) get A02
//! for counts and A11 for amounts. So every unit × indicator of a real peer group has one YoY
//! verdict. An HB outlier is a warning only when its trend-adjusted change is at least ×2 (as
//! in A02), info from ×1.5, else dropped; a breakdown moving with its flagged total folds into
//! the total's finding; a county count change (A09) must be beyond Poisson chance. The
//! reasons are in [`gate`]. Last in each group, [`digit_slip`] looks for a typing slip that
//! explains the change (two adjacent digits swapped, a digit dropped or a zero too many): the
//! suggestion goes on the cell's A01/A02/A11 line, or on a line of its own under the code of the
//! method that judged the cell when the change was under the gates (a swap is often 15–60 %).
//!
//! Ranking (§4, module [`ranking`]): findings are scored, and sort by severity tier, then by the unit's
//! priority (its worst `suspicion × impact`), where impact is the share of the anticipated
//! county total at stake, `|x − x̂| / T̂` with `x̂ = prev × trend` (trend = median ratio per
//! indicator and unit kind, without slipped units; 1 with fewer than 5 pairs; the kind median
//! when there is no prior value). Where the whole submission is suspect (A05, A06, unit-level
//! A07) impact is the largest share of a county total the unit holds; a reported-rate error
//! (A04) has impact 1; a peer finding (A08) uses how much the county numerator would move if
//! the unit's rate were typical; county-level findings (A09, group-level A01/A07) score 0.
//! Every finding has a verification status ([`status`]): the unit's real 说明 on the row makes
//! a warning 已说明, the reviewer's acceptance file ([`accept`]) makes it 已确认 or 不予认可.
//! Settled findings (已说明, 已确认) do not count towards a unit's priority. Last, the findings
//! are grouped into entries, one per unit and problem ([`entry`]): entries rank open first
//! (待核实, 不予认可), then 已说明, then 已确认, each by worst severity and the entry's summed
//! score, and the findings are put in entry order (`Finding::entry`, `Finding::rank`).
//!
//! Plain Rust over `Vec`/`BTreeMap` instead of polars: groups have 5–50 units, the methods need
//! an exact, pinned quantile definition and order statistics that a DataFrame would only wrap,
//! and plain code keeps the output deterministic and the tests readable. polars stays inside
//! [`crate::aggregate`].

pub mod accept;
pub mod copy;
pub mod correct;
pub mod county;
mod detect;
pub mod digit_slip;
pub mod entry;
pub mod gate;
pub mod hb;
pub mod heaping;
pub mod peer;
pub mod poisson;
pub mod ranking;
pub mod rate;
pub mod rate_shift;
pub mod ratio;
pub mod sigma_gap;
pub mod stats;
pub mod status;
pub mod unit_error;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::aggregate::UnitRow;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Pos, Severity};
use crate::schema::Schema;

pub use accept::{Acceptance, Decision};
pub use detect::{detect, rerank, unit_queue, UnitPriority};
pub use entry::{entries, Entry};
pub use status::{Notes, Status};

/// A county total as reported or aggregated; used by the macro check instead of unit sums.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CountyTotal {
    pub current: Option<f64>,
    pub prior: Option<f64>,
}

/// Everything [`detect`] looks at.
#[derive(Debug, Clone)]
pub struct AnomalyInput<'a> {
    /// Indicator metadata (value type count/amount, names, units) and rates.
    pub schema: &'a Schema,
    /// Report year (used to match acceptances that name a period).
    pub year: Option<i32>,
    /// Units whose data is aggregated (units held back by errors should be left out).
    /// The aggregated unit rows ([`UnitRow`]: values, prior values mapped through predecessors,
    /// origins), lent by `run` and given back.
    pub units: Vec<UnitRow>,
    /// County totals per indicator code; missing entries fall back to the unit sums.
    pub county: BTreeMap<String, CountyTotal>,
    /// The units' 说明 per row, which explain the findings of that row ([`status::explain`]).
    pub notes: Notes,
}

/// Parameters of every method, with the defaults of docs/reference/anomaly-methods.md §3.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub hb: hb::HbParams,
    pub poisson: poisson::PoissonParams,
    pub unit_error: unit_error::UnitErrorParams,
    /// Transposed digits and dropped digits in a YoY change ([`digit_slip`]).
    #[serde(default)]
    pub digit_slip: digit_slip::DigitSlipParams,
    pub ratio_bounds: ratio::RatioBoundsParams,
    pub rate: rate::RateParams,
    /// A proportion that jumps while its denominator stays put ([`rate_shift`], A12).
    #[serde(default)]
    pub rate_shift: rate_shift::RateShiftParams,
    pub copy_prev: copy::CopyParams,
    pub duplicate: copy::DuplicateParams,
    pub heaping: heaping::HeapingParams,
    pub peer: peer::PeerParams,
    /// Sigma-gap among peers (A10); `None` = not run (the default).
    pub sigma_gap: Option<sigma_gap::SigmaGapParams>,
    pub county: county::MacroParams,
    /// Fewer usable pairs than this → the trend `g` is 1.
    pub trend_min_pairs: usize,
    /// Routing and severity gates of the YoY checks ([`gate`]).
    #[serde(default)]
    pub gates: gate::YoyGates,
    /// Acceptances from `accept.toml`.
    pub acceptances: Vec<Acceptance>,
    /// Only the methods that judge a unit by itself and its own prior year, with no peers or
    /// county trend (A03 unit slips, A04 reported rates, A05 copied year, A06 two identical
    /// units): what `check` can say about a few files. `run` has the whole county.
    #[serde(default)]
    pub unit_only: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            hb: hb::HbParams::default(),
            poisson: poisson::PoissonParams::default(),
            unit_error: unit_error::UnitErrorParams::default(),
            digit_slip: digit_slip::DigitSlipParams::default(),
            ratio_bounds: ratio::RatioBoundsParams::default(),
            rate: rate::RateParams::default(),
            rate_shift: rate_shift::RateShiftParams::default(),
            copy_prev: copy::CopyParams::default(),
            duplicate: copy::DuplicateParams::default(),
            heaping: heaping::HeapingParams::default(),
            peer: peer::PeerParams::default(),
            sigma_gap: None,
            county: county::MacroParams::default(),
            trend_min_pairs: 5,
            gates: gate::YoyGates::default(),
            acceptances: Vec::new(),
            unit_only: false,
        }
    }
}

/// The test statistic behind a finding, e.g. `E = 24.92` with threshold `[-0.888, 0.884]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statistic {
    pub name: String,
    pub value: f64,
    /// The threshold as shown, e.g. `0.001` or `[0.3333, 3]`.
    pub threshold: String,
}

impl Statistic {
    /// As the 统计量 column shows it: `HB E（ODIR）=37.18，界限[-0.89, 0.88]`, `p=5.4e-4，界限0.001`.
    pub fn render(&self) -> String {
        let v = if self.value != 0.0 && self.value.abs() < 0.01 {
            format!("{:.1e}", self.value)
        } else {
            format!("{:.2}", self.value)
        };
        format!("{}={v}，界限{}", self.name, self.threshold)
    }

    pub fn new(name: &str, value: f64, threshold: impl Into<String>) -> Self {
        Statistic {
            name: name.to_string(),
            value,
            threshold: threshold.into(),
        }
    }
}

/// One anomaly finding (a row of the 异常清单).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `A01` … `A11`.
    pub code: Code,
    pub severity: Severity,
    /// Unit code; `None` for county- or group-level findings.
    pub unit: Option<String>,
    pub unit_name: Option<String>,
    /// Indicator (or rate) code; `None` for unit-level findings (copy, duplicate).
    pub indicator: Option<String>,
    /// `file!sheet!cell` of the value, or the file for unit-level findings; empty if unknown.
    pub location: String,
    pub value: Option<f64>,
    pub prior: Option<f64>,
    /// Acceptable interval for the value, when the method gives one.
    pub expected: Option<(f64, f64)>,
    pub statistic: Option<Statistic>,
    /// How likely the value is wrong, (0, 1].
    pub suspicion: f64,
    /// Share of the county total at stake (1 when not measurable, e.g. a structural error).
    pub impact: f64,
    /// `suspicion × impact`.
    pub score: f64,
    /// The unit's priority: its worst open score (the finding's own score for county findings).
    pub priority: f64,
    /// 1-based position in the ranked list.
    pub rank: usize,
    /// 1-based rank of the entry (unit × problem, [`entry`]) the line belongs to; lines of one
    /// entry share it and stand together, main line first.
    #[serde(default)]
    pub entry: usize,
    /// Chinese message, no trailing 。
    pub message: String,
    /// Suggested correction (unit slips, digit slips); never applied.
    pub suggestion: Option<String>,
    /// Where the verification stands ([`status`]): 待核实, 已说明, 已确认 or 不予认可.
    #[serde(default)]
    pub status: Status,
    /// The unit's own 说明 on the finding's row, when it is a real explanation.
    #[serde(default)]
    pub explanation: Option<String>,
    /// The reviewer confirmed it: `status` is 已确认 exactly when this is true.
    pub accepted: bool,
    /// The reviewer's reason, when confirmed.
    pub accept_reason: Option<String>,
    /// The reviewer's reason, when rejected (不予认可): the 审核意见 the unit gets back.
    #[serde(default)]
    pub reject_reason: Option<String>,
    /// Why a matching acceptance does not apply (value changed, or an error).
    pub accept_void: Option<String>,
}

impl Finding {
    /// A finding with the given code, severity and message; everything else empty.
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity,
            unit: None,
            unit_name: None,
            indicator: None,
            location: String::new(),
            value: None,
            prior: None,
            expected: None,
            statistic: None,
            suspicion: 0.0,
            impact: 0.0,
            score: 0.0,
            priority: 0.0,
            rank: 0,
            entry: 0,
            message: message.into(),
            suggestion: None,
            status: Status::Open,
            explanation: None,
            accepted: false,
            accept_reason: None,
            reject_reason: None,
            accept_void: None,
        }
    }

    /// The shared diagnostic form (message with the suggestion appended). A warning's or
    /// info's explanation is the unit's 说明 (else the reviewer's reason when confirmed), as a
    /// rule warning's is; an error is never settled by a note, so its note goes into the message.
    /// A rejection's reason is added to the message too.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut message = self.message.clone();
        if let Some(s) = &self.suggestion {
            message.push('；');
            message.push_str(s);
        }
        if let Some(v) = &self.accept_void {
            message.push('（');
            message.push_str(v);
            message.push('）');
        }
        if let (Severity::Error, Some(e)) = (self.severity, &self.explanation) {
            message.push_str(&format!("（单位说明：{e}；错误须更正，不能以说明代替）"));
        }
        if let Some(r) = &self.reject_reason {
            message.push_str(&format!("（不予认可：{r}）"));
        }
        let mut d = Diagnostic::new(
            self.code,
            self.severity,
            parse_location(&self.location),
            message,
        );
        d.unit = self.unit.clone();
        d.indicator = self.indicator.clone();
        d.explanation = match self.status {
            Status::Explained => self.explanation.clone(),
            Status::Confirmed => self
                .explanation
                .clone()
                .or_else(|| self.accept_reason.clone()),
            Status::Open | Status::Rejected => None,
        };
        d
    }
}

/// Formats a number for messages: whole numbers without decimals, others with up to 2.
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Formats a number for a clerk: thousands separated by commas, up to 2 decimals
/// (`642331` → `642,331`, `55.46` → `55.46`).
pub fn fmt_thousands(x: f64) -> String {
    let plain = fmt_num(x.abs());
    let (int, frac) = plain
        .split_once('.')
        .map_or((plain.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if x < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// A rate's value for a message: a percentage with one decimal, or the number with the rate's
/// own unit (件均罚没金额 in 元/宗).
pub fn fmt_rate(v: f64, unit: Option<&str>) -> String {
    match unit {
        None => format!("{:.1}%", v * 100.0),
        Some(u) => format!("{}{u}", fmt_thousands((v * 100.0).round() / 100.0)),
    }
}

/// Parses `file!sheet!cell` (as the reader records origins) into a [`Location`]; anything else
/// becomes a file-only location.
pub fn parse_location(origin: &str) -> Location {
    let mut parts = origin.rsplitn(3, '!');
    let (Some(cell), Some(sheet), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return Location::file(origin);
    };
    let sheet = sheet
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .map_or_else(|| sheet.to_string(), |s| s.replace("''", "'"));
    match parse_a1(cell) {
        Some(pos) => Location::cell(file, sheet, pos),
        None => Location::file(origin),
    }
}

/// `D12` → (11, 3).
fn parse_a1(cell: &str) -> Option<Pos> {
    let split = cell.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = cell.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let mut col: u32 = 0;
    for c in letters.chars() {
        col = col
            .checked_mul(26)?
            .checked_add(c as u32 - 'A' as u32 + 1)?;
    }
    let row: u32 = digits.parse().ok()?;
    Some(Pos::new(row.checked_sub(1)?, u16::try_from(col - 1).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_round_trip_to_locations() {
        let l = parse_location("某某镇.xlsx!统计表!D12");
        assert_eq!(l.render(), "某某镇.xlsx!统计表!D12");
        assert_eq!(l.cell, Some(Pos::new(11, 3)));
        let l = parse_location("a.xlsx!'明细 表'!AA1");
        assert_eq!(l.sheet.as_deref(), Some("明细 表"));
        assert_eq!(l.cell, Some(Pos::new(0, 26)));
        assert_eq!(parse_location("a.xlsx"), Location::file("a.xlsx"));
        assert_eq!(parse_location("a!b!c"), Location::file("a!b!c"));
    }

    #[test]
    fn numbers_format_for_clerks() {
        assert_eq!(fmt_thousands(642331.0), "642,331");
        assert_eq!(fmt_thousands(554600.0), "554,600");
        assert_eq!(fmt_thousands(55.46), "55.46");
        assert_eq!(fmt_thousands(999.0), "999");
        assert_eq!(fmt_thousands(-1234.5), "-1,234.5");
        assert_eq!(fmt_rate(0.4512, None), "45.1%");
        assert_eq!(fmt_rate(1265.237, Some("元/宗")), "1,265.24元/宗");
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(fmt_num(1265000.0), "1265000");
        assert_eq!(fmt_num(85.3), "85.3");
        assert_eq!(fmt_num(12.666), "12.67");
        assert_eq!(fmt_num(0.5), "0.5");
    }

    #[test]
    fn finding_converts_to_diagnostic() {
        let mut f = Finding::new(
            Code::A03,
            Severity::Warning,
            "罚没金额本年126.5与上年1250000相差约10^-4倍",
        );
        f.unit = Some("T01".into());
        f.indicator = Some("ZF07".into());
        f.location = "甲镇.xlsx!统计表!D20".into();
        f.suggestion = Some("疑似单位错误：似按万元填报，按元应为 1265000".into());
        f.accepted = true;
        f.status = Status::Confirmed;
        f.accept_reason = Some("已核实".into());
        let d = f.to_diagnostic();
        assert_eq!(d.code, "A03");
        assert_eq!(d.location.render(), "甲镇.xlsx!统计表!D20");
        assert!(d.message.ends_with("按元应为 1265000"));
        assert_eq!(d.explanation.as_deref(), Some("已核实"));
        assert_eq!(d.unit.as_deref(), Some("T01"));
    }
}
