//! The top-level run: routes every indicator and unit through the methods (see the table and
//! the routing note in the module doc of [`crate::anomaly`]), computes impact against the
//! anticipated county total, applies acceptances and ranks the findings.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::digit_slip;
use super::rate_shift::{self, Pair};
use super::unit_error::UnitErrorVerdict;
use super::{
    accept, copy, county, entry, fmt_num, fmt_rate, fmt_thousands, gate, hb, heaping, peer,
    poisson, ranking, rate, ratio, sigma_gap, stats, status, unit_error, AnomalyInput, Finding,
    Params, Statistic,
};
use crate::aggregate::UnitRow;
use crate::codes::Code;
use crate::diagnostic::Severity;
use crate::registry::UnitKind;
use crate::schema::{expr::Env, Indicator, Rate, ValueType};

/// Runs every anomaly method and returns the ranked findings (rank 1 first).
pub fn detect(input: &AnomalyInput, params: &Params) -> Vec<Finding> {
    let codes = Codes::new(&input.units);
    let ctx = Ctx::new(input, params, &codes);
    // Every group of checks is independent: run them side by side, then put their findings in
    // one fixed order (indicators, copies, duplicates, heaping, rates).
    let by_ind = || {
        each_in_parallel(&ctx.numeric, |ind, out| {
            ctx.yoy(ind, out);
            if !params.unit_only {
                ctx.county_change(ind, out);
            }
        })
    };
    let by_rate = || {
        each_in_parallel(&input.schema.rates, |r, out| {
            ctx.reported_rate(r, out);
            if !params.unit_only {
                ctx.peers(r, out);
                ctx.rate_shifts(r, out);
            }
        })
    };
    let ((mut out, rates), (copies, (duplicates, heaping))) = rayon::join(
        || rayon::join(by_ind, by_rate),
        || {
            rayon::join(
                || found(|out| ctx.copies(out)),
                || {
                    rayon::join(
                        || found(|out| ctx.duplicates(out)),
                        || {
                            found(|out| {
                                if !params.unit_only {
                                    ctx.heaping(out)
                                }
                            })
                        },
                    )
                },
            )
        },
    );
    out.extend(copies);
    out.extend(duplicates);
    out.extend(heaping);
    out.extend(rates);
    if params.gates.fold_breakdowns {
        gate::fold_breakdowns(&mut out, &input.schema.indicators);
    }
    status::explain(&mut out, &input.notes, input.schema);
    accept::apply(&mut out, &params.acceptances, input.year);
    finalize(&mut out);
    entry::arrange(&mut out, input.schema);
    out
}

/// Ranks findings again (score, unit priority, order, entries, rank), e.g. after findings of
/// two detection passes were put together.
pub fn rerank(findings: &mut Vec<Finding>, schema: &crate::schema::Schema) {
    finalize(findings);
    entry::arrange(findings, schema);
}

/// The findings of one check.
fn found(check: impl FnOnce(&mut Vec<Finding>)) -> Vec<Finding> {
    let mut out = Vec::new();
    check(&mut out);
    out
}

/// Runs `check` for every item on the rayon pool (indicators and rates are independent) and
/// concatenates the findings in item order, so the output does not depend on scheduling.
fn each_in_parallel<T: Sync>(
    items: &[T],
    check: impl Fn(&T, &mut Vec<Finding>) + Sync,
) -> Vec<Finding> {
    let per_item: Vec<Vec<Finding>> = items
        .par_iter()
        .map(|item| found(|out| check(item, out)))
        .collect();
    per_item.into_iter().flatten().collect()
}

/// A unit in the review queue (`summary_by_unit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitPriority {
    pub unit: String,
    /// Worst open severity.
    pub tier: Severity,
    /// Max open score.
    pub priority: f64,
    /// Σ open scores (first tie-break).
    pub total: f64,
    /// Open findings (second tie-break).
    pub findings: usize,
}

/// The unit review queue: sorted by (worst severity, −priority, −Σscore, −#findings, code);
/// settled findings (已说明, 已确认) do not count.
pub fn unit_queue(findings: &[Finding]) -> Vec<UnitPriority> {
    let mut map: BTreeMap<&str, UnitPriority> = BTreeMap::new();
    for f in findings.iter().filter(|f| !f.status.is_settled()) {
        let Some(u) = f.unit.as_deref() else { continue };
        let e = map.entry(u).or_insert_with(|| UnitPriority {
            unit: u.to_string(),
            tier: f.severity,
            priority: 0.0,
            total: 0.0,
            findings: 0,
        });
        e.tier = e.tier.min(f.severity);
        e.priority = e.priority.max(f.score);
        e.total += f.score;
        e.findings += 1;
    }
    let mut q: Vec<UnitPriority> = map.into_values().collect();
    q.sort_by(|a, b| {
        a.tier
            .cmp(&b.tier)
            .then(b.priority.total_cmp(&a.priority))
            .then(b.total.total_cmp(&a.total))
            .then(b.findings.cmp(&a.findings))
            .then(a.unit.cmp(&b.unit))
    });
    q
}

/// Score, unit priority, order and rank. A unit's priority counts only what is still open
/// (待核实, 不予认可): what the unit explained or the reviewer confirmed is settled.
fn finalize(out: &mut [Finding]) {
    let mut worst: BTreeMap<String, f64> = BTreeMap::new();
    for f in out.iter_mut() {
        f.score = f.suspicion * f.impact;
        if let (Some(u), false) = (&f.unit, f.status.is_settled()) {
            let w = worst.entry(u.clone()).or_insert(0.0);
            *w = w.max(f.score);
        }
    }
    for f in out.iter_mut() {
        f.priority = f
            .unit
            .as_ref()
            .and_then(|u| worst.get(u).copied())
            .unwrap_or(f.score);
    }
    out.sort_by(order);
    for (i, f) in out.iter_mut().enumerate() {
        f.rank = i + 1;
    }
}

/// (accepted last, tier, explained after open, −priority, unit, −score, code, indicator,
/// message): within a severity tier what the unit explained comes after what is still open
/// (待核实, 不予认可), and what the reviewer confirmed comes after everything else.
fn order(a: &Finding, b: &Finding) -> Ordering {
    let explained = |f: &Finding| f.status == status::Status::Explained;
    a.accepted
        .cmp(&b.accepted)
        .then(a.severity.cmp(&b.severity))
        .then(explained(a).cmp(&explained(b)))
        .then(b.priority.total_cmp(&a.priority))
        .then(a.unit.is_none().cmp(&b.unit.is_none()))
        .then(a.unit.cmp(&b.unit))
        .then(b.score.total_cmp(&a.score))
        .then(a.code.cmp(&b.code))
        .then(a.indicator.cmp(&b.indicator))
        .then(a.message.cmp(&b.message))
}

/// Per-indicator trend and anticipated values (§4).
struct Model {
    /// Trend `g` per unit kind.
    g: BTreeMap<UnitKind, f64>,
    /// Anticipated value per unit.
    /// Anticipated value per unit, by the unit's position in [`Ctx::units`].
    x_hat: Vec<Option<f64>>,
    total_hat: f64,
    total_cur: f64,
    /// Units with a unit slip or an extreme jump: out of the trend and of HB.
    /// By the unit's position in [`Ctx::units`].
    slipped: Vec<bool>,
}

struct Ctx<'a> {
    input: &'a AnomalyInput<'a>,
    params: &'a Params,
    /// Sorted by code.
    units: Vec<UnitView<'a>>,
    /// Count and amount indicators, schema order.
    numeric: Vec<&'a Indicator>,
    models: BTreeMap<String, Model>,
}

/// Every code that appears in any unit's values, numbered: the column index of [`UnitView`].
struct Codes<'a>(FxHashMap<&'a str, usize>);

impl<'a> Codes<'a> {
    fn new(units: &'a [UnitRow]) -> Self {
        let mut map = FxHashMap::default();
        for u in units {
            for code in u.values.keys().chain(u.prior.keys()) {
                let next = map.len();
                map.entry(code.as_str()).or_insert(next);
            }
        }
        Codes(map)
    }
}

/// A unit with its values laid out by code index. The methods look values up tens of millions
/// of times at province scale (10,000 units × 100 indicators × several passes); string-keyed
/// `BTreeMap` lookups were three quarters of the anomaly time there.
struct UnitView<'a> {
    input: &'a UnitRow,
    /// Position in [`Ctx::units`] (sorted by code), the index of per-unit model vectors.
    pos: usize,
    codes: &'a Codes<'a>,
    cur: Vec<Option<f64>>,
    pri: Vec<Option<f64>>,
}

impl<'a> UnitView<'a> {
    fn new(input: &'a UnitRow, codes: &'a Codes<'a>) -> Self {
        let dense = |m: &BTreeMap<String, f64>| {
            let mut v = vec![None; codes.0.len()];
            for (code, x) in m {
                if let Some(slot) = codes.0.get(code.as_str()).and_then(|&i| v.get_mut(i)) {
                    *slot = Some(*x);
                }
            }
            v
        };
        UnitView {
            input,
            pos: 0,
            codes,
            cur: dense(&input.values),
            pri: dense(&input.prior),
        }
    }

    /// This year's value of `code`.
    fn cur(&self, code: &str) -> Option<f64> {
        let i = *self.codes.0.get(code)?;
        self.cur.get(i).copied().flatten()
    }

    /// Last year's value of `code`.
    fn pri(&self, code: &str) -> Option<f64> {
        let i = *self.codes.0.get(code)?;
        self.pri.get(i).copied().flatten()
    }
}

impl std::ops::Deref for UnitView<'_> {
    type Target = UnitRow;
    fn deref(&self) -> &UnitRow {
        self.input
    }
}

/// Evaluates rate expressions against one unit's values.
struct UnitEnv<'a, 'b>(&'a UnitView<'b>);

/// Evaluates rate expressions against one unit's values of last year.
struct PriorEnv<'a, 'b>(&'a UnitView<'b>);

impl Env for PriorEnv<'_, '_> {
    fn current(&self, code: &str) -> Option<f64> {
        self.0.pri(code)
    }
    fn prior(&self, _code: &str) -> Option<f64> {
        None
    }
}

impl Env for UnitEnv<'_, '_> {
    fn current(&self, code: &str) -> Option<f64> {
        self.0.cur(code)
    }
    fn prior(&self, code: &str) -> Option<f64> {
        self.0.pri(code)
    }
}

impl<'a> Ctx<'a> {
    fn new(input: &'a AnomalyInput<'a>, params: &'a Params, codes: &'a Codes<'a>) -> Self {
        let mut units: Vec<UnitView> = input
            .units
            .par_iter()
            .map(|u| UnitView::new(u, codes))
            .collect();
        units.sort_by(|a, b| a.code.cmp(&b.code));
        for (pos, u) in units.iter_mut().enumerate() {
            u.pos = pos;
        }
        let numeric: Vec<&Indicator> = input
            .schema
            .indicators
            .iter()
            .filter(|i| matches!(i.value_type, ValueType::Count | ValueType::Amount))
            .collect();
        let mut ctx = Ctx {
            input,
            params,
            units,
            numeric,
            models: BTreeMap::new(),
        };
        let models: Vec<(String, Model)> = ctx
            .numeric
            .par_iter()
            .map(|ind| (ind.code.clone(), ctx.model(ind)))
            .collect();
        ctx.models = models.into_iter().collect();
        ctx
    }

    fn model(&self, ind: &Indicator) -> Model {
        let code = ind.code.as_str();
        let mut slipped = vec![false; self.units.len()];
        if ind.value_type == ValueType::Amount {
            for u in &self.units {
                if let (Some(p), Some(x)) = (u.pri(code), u.cur(code)) {
                    if let Some((_, v)) = unit_error::check(p, x, &self.params.unit_error) {
                        if v != UnitErrorVerdict::Ok {
                            if let Some(s) = slipped.get_mut(u.pos) {
                                *s = true;
                            }
                        }
                    }
                }
            }
        }
        let mut g = BTreeMap::new();
        let mut kind_median = BTreeMap::new();
        for kind in UnitKind::ALL {
            let of_kind = self.units.iter().filter(|u| u.kind == kind);
            let ratios: Vec<f64> = of_kind
                .clone()
                .filter(|u| !slipped.get(u.pos).copied().unwrap_or(false))
                .filter_map(|u| match (u.pri(code), u.cur(code)) {
                    (Some(p), Some(x)) if p > 0.0 && x > 0.0 => Some(x / p),
                    _ => None,
                })
                .collect();
            let trend = if ratios.len() >= self.params.trend_min_pairs {
                stats::median(&ratios).unwrap_or(1.0)
            } else {
                1.0
            };
            g.insert(kind, trend);
            let cur: Vec<f64> = of_kind.filter_map(|u| u.cur(code)).collect();
            if let Some(m) = stats::median(&cur) {
                kind_median.insert(kind, m);
            }
        }
        let mut x_hat = vec![None; self.units.len()];
        let mut total_cur = 0.0;
        for u in &self.units {
            total_cur += u.cur(code).unwrap_or(0.0);
            let hat = match u.pri(code) {
                Some(p) => Some(p * g.get(&u.kind).copied().unwrap_or(1.0)),
                None => kind_median.get(&u.kind).copied(),
            };
            if let Some(slot) = x_hat.get_mut(u.pos) {
                *slot = hat;
            }
        }
        let total_hat = x_hat.iter().flatten().sum();
        Model {
            g,
            x_hat,
            total_hat,
            total_cur,
            slipped,
        }
    }

    fn trend(&self, ind: &str, kind: UnitKind) -> f64 {
        self.models
            .get(ind)
            .and_then(|m| m.g.get(&kind).copied())
            .unwrap_or(1.0)
    }

    /// `|x − x̂| / T̂` for one value; 1 when nothing can be anticipated.
    fn impact(&self, unit: &UnitView, ind: &str, x: f64) -> f64 {
        let Some(m) = self.models.get(ind) else {
            return 1.0;
        };
        match m.x_hat.get(unit.pos).copied().flatten() {
            Some(h) => ranking::impact(x, h, m.total_hat, m.total_cur),
            None => 1.0,
        }
    }

    /// The largest share of a county total the unit holds: what is at stake when the whole
    /// submission is suspect (copy, duplicate, heaping).
    fn unit_share(&self, u: &UnitView) -> f64 {
        self.numeric
            .iter()
            .filter_map(|ind| {
                let x = u.cur(&ind.code)?;
                let m = self.models.get(&ind.code)?;
                Some(ranking::impact(x, 0.0, m.total_hat, m.total_cur))
            })
            .fold(0.0, f64::max)
    }

    /// A finding about one unit and indicator, with value, prior, location and impact filled.
    fn unit_finding(
        &self,
        code: Code,
        severity: Severity,
        u: &UnitView,
        ind: &Indicator,
        message: String,
    ) -> Finding {
        let mut f = Finding::new(code, severity, message);
        f.unit = Some(u.code.clone());
        f.unit_name = Some(u.name.clone());
        f.indicator = Some(ind.code.clone());
        f.location = u
            .origins
            .get(&ind.code)
            .map(|o| o.to_string())
            .unwrap_or_default();
        f.value = u.cur(&ind.code);
        f.prior = u.pri(&ind.code);
        f.impact = f.value.map_or(1.0, |x| self.impact(u, &ind.code, x));
        f
    }

    /// Year-on-year checks of one indicator, per unit kind (A03 → A01 → A02/A11).
    fn yoy(&self, ind: &Indicator, out: &mut Vec<Finding>) {
        let code = ind.code.as_str();
        let slipped = self.models.get(code).map(|m| &m.slipped);
        for kind in UnitKind::ALL {
            let pairs: Vec<(&UnitView, f64, f64)> = self
                .units
                .iter()
                .filter(|u| u.kind == kind)
                .filter_map(|u| Some((u, u.pri(code)?, u.cur(code)?)))
                .collect();
            if pairs.is_empty() {
                continue;
            }
            if ind.value_type == ValueType::Amount {
                for (u, p, x) in &pairs {
                    self.unit_slip(u, ind, *p, *x, out);
                }
            }
            // A kind of one unit has no trend but its own: its change is the county's (A09).
            // Without peers (`unit_only`) nothing past the unit's own slip is judged.
            if self.params.unit_only || self.kind_size(kind) < self.params.gates.min_kind_units {
                continue;
            }
            let rest: Vec<&(&UnitView, f64, f64)> = pairs
                .iter()
                .filter(|(u, _, _)| slipped.is_none_or(|s| !s.get(u.pos).copied().unwrap_or(false)))
                .collect();
            let start = out.len();
            // HB identifies units by their index in `rest`.
            let data: Vec<(usize, f64, f64)> = rest
                .iter()
                .enumerate()
                .map(|(i, (_, p, x))| (i, *p, *x))
                .collect();
            let (covered, not_run) = match hb::run(&data, &self.params.hb) {
                Ok(res) => (self.hb_findings(ind, kind, &rest, &res, out), None),
                Err(e) => (vec![false; rest.len()], Some(e.reason)),
            };
            let g = self.trend(code, kind);
            let open = rest
                .iter()
                .zip(&covered)
                .filter(|(_, c)| !**c)
                .map(|(r, _)| r);
            for (u, p, x) in open {
                match ind.value_type {
                    ValueType::Count => self.poisson(u, ind, *p, *x, g, not_run.as_deref(), out),
                    _ => self.ratio_bounds(u, ind, *p, *x, g, out),
                }
            }
            self.digit_slips(ind, &rest, &covered, g, start, out);
        }
    }

    /// Typing slips ([`digit_slip`]): the suggestion goes on the cell's YoY line of this group
    /// (from `start` in `out`), or a line of its own under the code of the method that judged
    /// the cell (A01 where HB did, else A02 for counts and A11 for amounts).
    fn digit_slips(
        &self,
        ind: &Indicator,
        rest: &[&(&UnitView, f64, f64)],
        covered: &[bool],
        g: f64,
        start: usize,
        out: &mut Vec<Finding>,
    ) {
        let ps = &self.params.digit_slip;
        let Some(s) = digit_slip::spread(rest.iter().map(|(_, p, x)| (*p, *x)), ps) else {
            return;
        };
        for (i, (u, p, x)) in rest.iter().enumerate() {
            let e = p * g;
            // A count's own chance spread, ≈ √(1/x + 1/p) on the log scale, bounds it below:
            // 2 against 7 is a dropped digit only in appearance.
            let s = match ind.value_type {
                ValueType::Count if *x > 0.0 && *p > 0.0 => s.max((1.0 / x + 1.0 / p).sqrt()),
                _ => s,
            };
            let Some(slip) = digit_slip::explain(*x, e, s, ps) else {
                continue;
            };
            let same = |f: &&mut Finding| {
                f.unit.as_deref() == Some(u.code.as_str())
                    && f.indicator.as_deref() == Some(ind.code.as_str())
            };
            if let Some(f) = out.get_mut(start..).and_then(|o| o.iter_mut().find(same)) {
                f.suggestion.get_or_insert_with(|| slip.suggestion());
                if slip.warn {
                    f.severity = Severity::Warning;
                    f.suspicion = f.suspicion.max(0.85);
                }
                continue;
            }
            let code = match (covered.get(i).copied().unwrap_or(false), ind.value_type) {
                (true, _) => Code::A01,
                (false, ValueType::Count) => Code::A02,
                _ => Code::A11,
            };
            let severity = if slip.warn {
                Severity::Warning
            } else {
                Severity::Info
            };
            // The suggestion (`可能应为 320（数字顺序颠倒）`) is appended by `to_diagnostic`.
            let message = format!(
                "{}今年{}{unit}，去年{}{unit}，按趋势约{}{unit}",
                ind.name,
                fmt_thousands(*x),
                fmt_thousands(*p),
                fmt_thousands(e.round()),
                unit = ind.unit,
            );
            let mut f = self.unit_finding(code, severity, u, ind, message);
            f.suspicion = if slip.warn { 0.85 } else { 0.6 };
            f.suggestion = Some(slip.suggestion());
            f.statistic = Some(Statistic::new(
                "偏离/离散度",
                (x / e).ln().abs() / s,
                format!("≥{}", ps.far),
            ));
            out.push(f);
        }
    }

    /// Units of a kind in this run.
    fn kind_size(&self, kind: UnitKind) -> usize {
        self.units.iter().filter(|u| u.kind == kind).count()
    }

    fn unit_slip(&self, u: &UnitView, ind: &Indicator, p: f64, x: f64, out: &mut Vec<Finding>) {
        let Some((d, verdict)) = unit_error::check(p, x, &self.params.unit_error) else {
            return;
        };
        let (message, suspicion, suggestion) = match verdict {
            UnitErrorVerdict::Ok => return,
            UnitErrorVerdict::Probable { k } => (
                unit_error::message(&ind.name, &ind.unit, x, p, k),
                0.95,
                Some(unit_error::suggestion(x, k, &ind.unit)),
            ),
            UnitErrorVerdict::ExtremeJump => (
                format!(
                    "{}本年{}与上年{}相差约{}倍，变化极端，请核实",
                    ind.name,
                    fmt_num(x),
                    fmt_num(p),
                    fmt_num(10f64.powf(d.abs()).round())
                ),
                0.8,
                None,
            ),
        };
        let mut f = self.unit_finding(Code::A03, Severity::Warning, u, ind, message);
        f.suspicion = suspicion;
        f.suggestion = suggestion;
        f.statistic = Some(Statistic::new(
            "log10比",
            d,
            format!("±{}", self.params.unit_error.gate),
        ));
        out.push(f);
    }

    /// HB findings; returns the units HB covered (took part, or dropped as unchanged).
    fn hb_findings(
        &self,
        ind: &Indicator,
        kind: UnitKind,
        rest: &[&(&UnitView, f64, f64)],
        res: &hb::HbResult<usize>,
        out: &mut Vec<Finding>,
    ) -> Vec<bool> {
        // Small counts take part in the group (Banff's group is every unit with both years
        // > 0) but their verdict is A02's: HB cannot tell chance from change at that size.
        let is_count = ind.value_type == ValueType::Count;
        let sized = |h: &&hb::HbUnit<usize>| self.params.gates.hb_sized(is_count, h.prev, h.cur);
        // By index in `rest`: whether HB gave the unit its verdict.
        let mut covered = vec![false; rest.len()];
        let mut cover = |i: usize| {
            if let Some(c) = covered.get_mut(i) {
                *c = true;
            }
        };
        res.units.iter().filter(sized).for_each(|u| cover(u.id));
        if let Some((same, n)) = res.ties_dropped {
            res.excluded
                .iter()
                .filter(|e| e.1.starts_with("unchanged"))
                .for_each(|e| cover(e.0));
            let mut f = Finding::new(
                Code::A01,
                Severity::Info,
                format!(
                    "{}{}中{same}/{n}个单位与上年完全相同，HB检验只比较有变化的单位",
                    kind.label(),
                    ind.name
                ),
            );
            f.indicator = Some(ind.code.clone());
            out.push(f);
        }
        let threshold = format!("[{:.3}, {:.3}]", res.exclusion.0, res.exclusion.1);
        // Computed once, and only for a group with an outlier to judge.
        let robust = std::cell::OnceCell::new();
        let beyond_any_peer = |h: &&hb::HbUnit<usize>| {
            if !self.params.gates.single_peer {
                return true;
            }
            let (lo, hi) = *robust.get_or_init(|| res.single_peer_exclusion(&self.params.hb));
            h.effect < lo || h.effect > hi
        };
        for hu in res
            .units
            .iter()
            .filter(sized)
            .filter(|h| h.status.is_outlier())
            .filter(beyond_any_peer)
        {
            let Some((u, _, _)) = rest.get(hu.id) else {
                continue;
            };
            let Some(mut severity) = self.params.gates.hb_severity(hu.ratio, res.r_m) else {
                continue;
            };
            if is_count && severity == Severity::Warning && !self.count_beyond_chance(hu, res.r_m) {
                severity = Severity::Info;
            }
            let iv = res.accept_interval(hu.prev, self.params.hb.u, res.exclusion);
            let strength = if hu.status.is_imputation() {
                "明显"
            } else {
                ""
            };
            let message = format!(
                "{}今年{}{unit}，去年{}{unit}，变化{strength}偏离同类单位的趋势，合理范围约{}–{}{unit}",
                ind.name,
                fmt_thousands(hu.cur),
                fmt_thousands(hu.prev),
                fmt_thousands((iv.0 * 10.0).round() / 10.0),
                fmt_thousands((iv.1 * 10.0).round() / 10.0),
                unit = ind.unit,
            );
            let mut f = self.unit_finding(Code::A01, severity, u, ind, message);
            f.suspicion = if hu.status.is_imputation() { 0.9 } else { 0.6 };
            f.expected = Some(iv);
            f.statistic = Some(Statistic::new(
                &format!("HB E（{}）", hu.status.code()),
                hu.effect,
                threshold.clone(),
            ));
            out.push(f);
        }
        covered
    }

    /// Whether an HB count outlier is also beyond Poisson chance at the warning level
    /// (`gates.hb_count_poisson`): 9 → 27 is ×3 but p ≈ 0.003, which a count that small reaches
    /// by chance somewhere among hundreds of units.
    fn count_beyond_chance(&self, hu: &hb::HbUnit<usize>, r_m: f64) -> bool {
        if !self.params.gates.hb_count_poisson {
            return true;
        }
        let (p, c) = (hu.prev.round() as u64, hu.cur.round() as u64);
        poisson::p_value(p, c, r_m).is_none_or(|pv| pv < self.params.poisson.p_warn)
    }

    #[allow(clippy::too_many_arguments)]
    fn poisson(
        &self,
        u: &UnitView,
        ind: &Indicator,
        p: f64,
        x: f64,
        g: f64,
        not_run: Option<&str>,
        out: &mut Vec<Finding>,
    ) {
        let Some(t) = poisson::flag(p, x, g, &self.params.poisson) else {
            return;
        };
        let Some(severity) = t.verdict else { return };
        let mut message = format!(
            "{}今年{}{unit}，去年{}{unit}，按全县趋势（×{:.2}）折算后变化仍很大，不像偶然波动",
            ind.name,
            fmt_thousands(x),
            fmt_thousands(p),
            g,
            unit = ind.unit,
        );
        if let Some(r) = not_run {
            message.push_str(&format!("（同类单位较少，{r}，未做HB检验）"));
        }
        let mut f = self.unit_finding(Code::A02, severity, u, ind, message);
        f.suspicion = poisson::suspicion(t.p);
        f.statistic = Some(Statistic::new(
            "p",
            t.p,
            self.params.poisson.p_warn.to_string(),
        ));
        out.push(f);
    }

    fn ratio_bounds(
        &self,
        u: &UnitView,
        ind: &Indicator,
        p: f64,
        x: f64,
        g: f64,
        out: &mut Vec<Finding>,
    ) {
        let b = self.params.ratio_bounds.bounds;
        let (message, suspicion, stat) = match ratio::check(p, x, g, &self.params.ratio_bounds) {
            ratio::RatioCheck::Ok => return,
            ratio::RatioCheck::ZeroTransition => (
                format!(
                    "{}由上年{}变为本年{}，请核实",
                    ind.name,
                    fmt_num(p),
                    fmt_num(x)
                ),
                0.6,
                None,
            ),
            ratio::RatioCheck::OutOfBounds { ratio, suspicion } => (
                format!(
                    "{}本年{}，上年{}，按全县趋势调整后为上年的{:.2}倍，超出合理范围",
                    ind.name,
                    fmt_num(x),
                    fmt_num(p),
                    ratio
                ),
                suspicion,
                Some(Statistic::new(
                    "adj_ratio",
                    ratio,
                    format!("[{:.4}, {}]", b.0, fmt_num(b.1)),
                )),
            ),
        };
        let mut f = self.unit_finding(Code::A11, Severity::Warning, u, ind, message);
        f.suspicion = suspicion;
        f.statistic = stat;
        f.expected = Some((p * g * b.0, p * g * b.1));
        out.push(f);
    }

    /// Whether a county count changed by more than chance ([`gate::YoyGates::county_count_p`]);
    /// amounts always pass.
    fn county_count_significant(&self, ind: &Indicator, prev: f64, cur: f64) -> bool {
        if ind.value_type != ValueType::Count || prev < 0.0 || cur < 0.0 {
            return true;
        }
        poisson::p_value(prev.round() as u64, cur.round() as u64, 1.0)
            .is_none_or(|p| p < self.params.gates.county_count_p)
    }

    /// A09: the county change of one indicator and its main contributors.
    fn county_change(&self, ind: &Indicator, out: &mut Vec<Finding>) {
        let code = ind.code.as_str();
        let rows: Vec<(&str, f64, f64)> = self
            .units
            .iter()
            .filter(|u| u.cur(code).is_some() || u.pri(code).is_some())
            .map(|u| {
                (
                    u.code.as_str(),
                    u.pri(code).unwrap_or(0.0),
                    u.cur(code).unwrap_or(0.0),
                )
            })
            .collect();
        let totals = self
            .input
            .county
            .get(code)
            .and_then(|t| Some((t.prior?, t.current?)));
        let Some(r) = county::check(&rows, totals, &self.params.county) else {
            return;
        };
        if !r.flagged || !self.county_count_significant(ind, r.prior_total, r.total) {
            return;
        }
        let names: Vec<String> = r
            .contributors
            .iter()
            .map(|c| {
                let name = self
                    .units
                    .iter()
                    .find(|u| u.code == c.unit)
                    .map_or(c.unit.as_str(), |u| u.name.as_str());
                let sign = if c.delta >= 0.0 { "+" } else { "" };
                format!(
                    "{name}{sign}{}（占{:.1}%）",
                    fmt_num(c.delta),
                    c.share * 100.0
                )
            })
            .collect();
        let mut f = Finding::new(
            Code::A09,
            Severity::Info,
            format!(
                "全县{}由上年{}变为本年{}（{:+.1}%），变化主要来自：{}",
                ind.name,
                fmt_num(r.prior_total),
                fmt_num(r.total),
                r.change * 100.0,
                names.join("、")
            ),
        );
        f.indicator = Some(ind.code.clone());
        f.value = Some(r.total);
        f.prior = Some(r.prior_total);
        f.statistic = Some(Statistic::new(
            "change",
            r.change,
            format!("±{}", self.params.county.warn_change),
        ));
        out.push(f);
    }

    /// Current and prior vectors of a unit over the numeric indicators.
    fn vectors(&self, u: &UnitView) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
        self.numeric
            .iter()
            .map(|i| (u.cur(&i.code), u.pri(&i.code)))
            .unzip()
    }

    /// The file part of any origin of the unit (for unit-level findings).
    fn unit_file(u: &UnitView) -> String {
        u.origins
            .values()
            .next()
            .map(|o| o.split('!').next().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    fn unit_level(&self, code: Code, severity: Severity, u: &UnitView, msg: String) -> Finding {
        let mut f = Finding::new(code, severity, msg);
        f.unit = Some(u.code.clone());
        f.unit_name = Some(u.name.clone());
        f.location = Self::unit_file(u);
        f.impact = self.unit_share(u);
        f
    }

    /// A05: the unit's current values repeat last year's.
    fn copies(&self, out: &mut Vec<Finding>) {
        let p = &self.params.copy_prev;
        let copied: Vec<(&UnitView, copy::Comparison)> = self
            .units
            .par_iter()
            .filter(|u| !u.prior.is_empty())
            .filter_map(|u| {
                let (cur, prev) = self.vectors(u);
                let c = copy::compare(&cur, &prev, p.nontrivial_value);
                copy::is_copy(&c, p).then_some((u, c))
            })
            .collect();
        for (u, c) in copied {
            let msg = format!(
                "本年{}项非零指标中{}项与上年完全相同（其中{}项不小于{}），疑似照抄上年数据",
                c.nonzero,
                c.identical,
                c.nontrivial,
                fmt_num(p.nontrivial_value)
            );
            let mut f = self.unit_level(Code::A05, Severity::Warning, u, msg);
            f.suspicion = 0.7;
            f.statistic = Some(Statistic::new(
                "相同比例",
                c.share(),
                format!("≥{}", p.share),
            ));
            out.push(f);
        }
    }

    /// A06: two units with identical current values; one finding per unit, naming the other.
    /// Units are first grouped by their non-zero cells (position and value), so only candidates
    /// are compared: all-pairs comparison is quadratic and took seconds at 10,000 units. A pair
    /// whose non-zero cells differ only where one side is missing is not reported.
    fn duplicates(&self, out: &mut Vec<Finding>) {
        let p = &self.params.duplicate;
        let vecs: Vec<Vec<Option<f64>>> =
            self.units.par_iter().map(|u| self.vectors(u).0).collect();
        let mut groups: BTreeMap<Vec<(usize, i64)>, Vec<usize>> = BTreeMap::new();
        for (i, v) in vecs.iter().enumerate() {
            let key: Vec<(usize, i64)> = v
                .iter()
                .enumerate()
                .filter_map(|(k, x)| {
                    x.filter(|x| *x != 0.0)
                        .map(|x| (k, (x * 1e6).round() as i64))
                })
                .collect();
            if key.len() >= p.min_nonzero {
                groups.entry(key).or_default().push(i);
            }
        }
        for members in groups.values().filter(|m| m.len() > 1) {
            for (n, &i) in members.iter().enumerate() {
                for &j in &members[n + 1..] {
                    self.duplicate_pair(i, j, &vecs, out);
                }
            }
        }
    }

    fn duplicate_pair(
        &self,
        i: usize,
        j: usize,
        vecs: &[Vec<Option<f64>>],
        out: &mut Vec<Finding>,
    ) {
        let (Some(a), Some(b), Some(va), Some(vb)) = (
            self.units.get(i),
            self.units.get(j),
            vecs.get(i),
            vecs.get(j),
        ) else {
            return;
        };
        let c = copy::compare(va, vb, 10.0);
        if !copy::is_duplicate(&c, &self.params.duplicate) {
            return;
        }
        for (me, other) in [(a, b), (b, a)] {
            let msg = format!(
                "与{}（{}）填报的{}项非零指标完全相同，疑似报送了同一份数据",
                other.name, other.code, c.nonzero
            );
            let mut f = self.unit_level(Code::A06, Severity::Error, me, msg);
            f.suspicion = 1.0;
            out.push(f);
        }
    }

    /// A07: heaping per count indicator (across units), per unit (across its counts), and
    /// very round amounts.
    fn heaping(&self, out: &mut Vec<Finding>) {
        let p = &self.params.heaping;
        let counts: Vec<&&Indicator> = self
            .numeric
            .iter()
            .filter(|i| i.value_type == ValueType::Count)
            .collect();
        for ind in &counts {
            let values: Vec<f64> = self.units.iter().filter_map(|u| u.cur(&ind.code)).collect();
            if let Some(t) = heaping::test(&values, p).filter(|t| t.flagged) {
                let mut f = Finding::new(
                    Code::A07,
                    Severity::Info,
                    format!(
                        "{}：{}个不小于{}的填报值中有{}个是{}的整倍数，疑似估算填报",
                        ind.name,
                        t.n,
                        fmt_num(p.min_value),
                        t.k,
                        p.base,
                    ),
                );
                f.indicator = Some(ind.code.clone());
                f.suspicion = 0.3;
                f.statistic = Some(Statistic::new("p", t.p, p.p_warn.to_string()));
                out.push(f);
            }
        }
        for u in &self.units {
            let values: Vec<f64> = counts.iter().filter_map(|i| u.cur(&i.code)).collect();
            if let Some(t) = heaping::test(&values, p).filter(|t| t.flagged) {
                let msg = format!(
                    "本单位{}个不小于{}的件数中有{}个是{}的整倍数，远多于如实统计时的约十分之一，疑似估算填报：请按台账核实",
                    t.n,
                    fmt_num(p.min_value),
                    t.k,
                    p.base,
                );
                let (severity, suspicion) = if t.is_warning(p) {
                    (Severity::Warning, 0.6)
                } else {
                    (Severity::Info, 0.3)
                };
                let mut f = self.unit_level(Code::A07, severity, u, msg);
                f.suspicion = suspicion;
                f.statistic = Some(Statistic::new("p", t.p, p.p_warn.to_string()));
                out.push(f);
            }
            if !p.round_amounts {
                continue;
            }
            for ind in self
                .numeric
                .iter()
                .filter(|i| i.value_type == ValueType::Amount)
            {
                let Some(x) = u.cur(&ind.code) else {
                    continue;
                };
                if x > 0.0 && heaping::very_round(x) {
                    let msg = format!(
                        "{}为{}{}，数值过于整齐，请核实是否为估算数",
                        ind.name,
                        fmt_num(x),
                        ind.unit
                    );
                    let mut f = self.unit_finding(Code::A07, Severity::Info, u, ind, msg);
                    f.suspicion = 0.2;
                    out.push(f);
                }
            }
        }
    }

    /// Per-unit numerator and denominator of a rate.
    fn rate_parts(r: &Rate, u: &UnitView) -> (Option<f64>, Option<f64>) {
        let env = UnitEnv(u);
        (r.numerator.eval(&env), r.denominator.eval(&env))
    }

    /// Per-unit numerator and denominator of a rate last year.
    fn prior_rate_parts(r: &Rate, u: &UnitView) -> (Option<f64>, Option<f64>) {
        let env = PriorEnv(u);
        (r.numerator.eval(&env), r.denominator.eval(&env))
    }

    /// A12: a proportion that jumped while its denominator stayed put, judged against the
    /// units of its kind ([`rate_shift`]). Rates with a unit of their own (元/宗) are not
    /// proportions and are left to A08.
    fn rate_shifts(&self, r: &Rate, out: &mut Vec<Finding>) {
        if r.unit.is_some() {
            return;
        }
        let mut county_num = 0.0;
        let rows: Vec<(&UnitView, Option<Pair>)> = self
            .units
            .iter()
            .map(|u| {
                let ((x2, n2), (x1, n1)) = (Self::rate_parts(r, u), Self::prior_rate_parts(r, u));
                county_num += x2.unwrap_or(0.0).max(0.0);
                let pair = match (x1, n1, x2, n2) {
                    (Some(x1), Some(n1), Some(x2), Some(n2)) => Some(Pair { x1, n1, x2, n2 }),
                    _ => None,
                };
                (u, pair)
            })
            .collect();
        for kind in UnitKind::ALL {
            if !r.kinds.is_empty() && !r.kinds.contains(&kind) {
                continue;
            }
            let group: Vec<&(&UnitView, Option<Pair>)> =
                rows.iter().filter(|g| g.0.kind == kind).collect();
            let pairs: Vec<Option<Pair>> = group.iter().map(|g| g.1).collect();
            for s in rate_shift::assess(&pairs, &self.params.rate_shift) {
                if let Some(&&(u, Some(q))) = group.get(s.index) {
                    out.push(self.rate_shift_finding(r, u, q, &s, county_num));
                }
            }
        }
    }

    fn rate_shift_finding(
        &self,
        r: &Rate,
        u: &UnitView,
        q: Pair,
        s: &rate_shift::Shift,
        county_num: f64,
    ) -> Finding {
        let schema = self.input.schema;
        let named = |text: &str, role: &str| match schema.indicator(text.trim()) {
            Some(i) => format!("{role}“{}”", i.name),
            None => role.to_string(),
        };
        let (num, den) = (
            named(&r.numerator_text, "分子"),
            named(&r.denominator_text, "分母"),
        );
        let pct = |x: f64, n: f64| fmt_rate(x / n, None);
        let points = |d: f64| {
            let p = (d * 1000.0).round() / 10.0;
            match p.partial_cmp(&0.0) {
                Some(Ordering::Greater) => format!("上升{}个百分点", fmt_num(p)),
                Some(Ordering::Less) => format!("下降{}个百分点", fmt_num(-p)),
                _ => "基本不变".to_string(),
            }
        };
        let base = if (q.n2 / q.n1).max(q.n1 / q.n2) < self.params.rate_shift.steady_den {
            format!(
                "{den}变化不大（{}→{}）",
                fmt_thousands(q.n1),
                fmt_thousands(q.n2)
            )
        } else {
            format!("{den}由{}变为{}", fmt_thousands(q.n1), fmt_thousands(q.n2))
        };
        let msg = format!(
            "{}今年{}（{}÷{}），去年{}（{}÷{}），{}；{base}，{num}由{}变为{}，\
             同类单位一般{}：请核对分子是否填错行或照抄了分母",
            r.name,
            pct(q.x2, q.n2),
            fmt_thousands(q.x2),
            fmt_thousands(q.n2),
            pct(q.x1, q.n1),
            fmt_thousands(q.x1),
            fmt_thousands(q.n1),
            points(q.x2 / q.n2 - q.x1 / q.n1),
            fmt_thousands(q.x1),
            fmt_thousands(q.x2),
            points(s.typical_points),
        );
        let mut f = Finding::new(Code::A12, s.severity, msg);
        f.unit = Some(u.code.clone());
        f.unit_name = Some(u.name.clone());
        f.indicator = Some(r.code.clone());
        f.location = Self::rate_origin(r, u);
        f.value = Some(q.x2 / q.n2);
        f.prior = Some(q.x1 / q.n1);
        f.expected = Some(s.range);
        f.suspicion = if s.severity == Severity::Warning {
            0.9
        } else {
            0.6
        };
        // What the county numerator would change by if the unit's rate had moved as usual.
        f.impact = ranking::impact(q.x2, q.n2 * s.expected, county_num, county_num);
        let threshold = fmt_num(self.params.rate_shift.warn_z);
        f.statistic = Some(Statistic::new("z（logit变化）", s.z, threshold));
        f
    }

    /// Location of a rate finding: the cell of the reported rate, else of its numerator.
    fn rate_origin(r: &Rate, u: &UnitView) -> String {
        u.origins
            .get(&r.code)
            .or_else(|| r.numerator.codes().iter().find_map(|c| u.origins.get(c)))
            .map(|o| o.to_string())
            .unwrap_or_default()
    }

    /// A04: a rate the unit typed itself (present under the rate code) versus its counts.
    fn reported_rate(&self, r: &Rate, out: &mut Vec<Finding>) {
        for u in &self.units {
            let Some(reported) = u.cur(&r.code) else {
                continue;
            };
            let (num, den) = Self::rate_parts(r, u);
            let check = rate::check(num, den, Some(reported), r.decimals, &self.params.rate);
            let Some(severity) = check.severity() else {
                continue;
            };
            let what = format!(
                "{}填报{}%（{}={}，{}={}）",
                r.name,
                fmt_num(reported),
                r.numerator_text,
                num.map_or("—".into(), fmt_num),
                r.denominator_text,
                den.map_or("—".into(), fmt_num)
            );
            let (detail, imbalance) = match check {
                rate::RateCheck::Negative => ("分子或分母为负数".to_string(), None),
                rate::RateCheck::NumAboveDen => ("分子大于分母".to_string(), None),
                rate::RateCheck::ReportedWithoutCases => ("分母为0时比率应空白".to_string(), None),
                rate::RateCheck::Blank => ("分母大于0但比率空白".to_string(), None),
                rate::RateCheck::Fraction { computed } => (
                    format!(
                        "疑似按小数填写，应为{computed:.prec$}%",
                        prec = r.decimals as usize
                    ),
                    None,
                ),
                rate::RateCheck::Mismatch {
                    computed,
                    imbalance,
                } => (
                    format!(
                        "按分子分母计算应为{computed:.prec$}%（差额{imbalance:+.3}）",
                        prec = r.decimals as usize
                    ),
                    Some(imbalance),
                ),
                rate::RateCheck::Na | rate::RateCheck::Pass => continue,
            };
            let mut f = Finding::new(Code::A04, severity, format!("{what}，{detail}"));
            f.unit = Some(u.code.clone());
            f.unit_name = Some(u.name.clone());
            f.indicator = Some(r.code.clone());
            f.location = Self::rate_origin(r, u);
            f.value = Some(reported);
            f.prior = u.pri(&r.code);
            f.suspicion = if severity == Severity::Error {
                1.0
            } else {
                0.5
            };
            f.impact = 1.0;
            f.statistic = imbalance.map(|i| Statistic::new("imbalance", i, "0"));
            out.push(f);
        }
    }

    /// A08 (and A10 when enabled): each unit's rate against the units of its kind.
    fn peers(&self, r: &Rate, out: &mut Vec<Finding>) {
        let p = &self.params.peer;
        let mut county_num = 0.0;
        let mut rows: Vec<(&UnitView, f64, f64)> = Vec::new();
        for u in &self.units {
            if let (Some(n), Some(d)) = Self::rate_parts(r, u) {
                county_num += n.max(0.0);
                if d > 0.0 && n >= 0.0 && (!p.log || n > 0.0) {
                    rows.push((u, n, d));
                }
            }
        }
        for kind in UnitKind::ALL {
            if !r.kinds.is_empty() && !r.kinds.contains(&kind) {
                continue;
            }
            let group: Vec<&(&UnitView, f64, f64)> =
                rows.iter().filter(|g| g.0.kind == kind).collect();
            if group.len() < p.min_n.max(3) {
                continue;
            }
            let values: Vec<f64> = group
                .iter()
                .map(|g| if p.log { (g.1 / g.2).ln() } else { g.1 / g.2 })
                .collect();
            self.modified_z(r, kind, &group, &values, county_num, out);
            self.sigma_gap(r, &group, out);
        }
    }

    fn modified_z(
        &self,
        r: &Rate,
        kind: UnitKind,
        group: &[&(&UnitView, f64, f64)],
        values: &[f64],
        county_num: f64,
        out: &mut Vec<Finding>,
    ) {
        let p = &self.params.peer;
        let Some(z) = peer::modified_z(values) else {
            return;
        };
        let back = |v: f64| if p.log { v.exp() } else { v };
        let typical = back(z.median);
        let expected = (z.scale == peer::Scale::Mad).then(|| {
            let half = p.threshold * z.mad / 0.6745;
            (back(z.median - half), back(z.median + half))
        });
        for i in peer::flagged(&z, p.threshold) {
            let (Some(g), Some(m)) = (group.get(i), z.scores.get(i)) else {
                continue;
            };
            let (u, n, d) = (g.0, g.1, g.2);
            let unit = r.unit.as_deref();
            let msg = format!(
                "{}为{}（{}÷{}），{}一般为{}，明显偏离：请核对这两个数",
                r.name,
                fmt_rate(n / d, unit),
                fmt_thousands(n),
                fmt_thousands(d),
                kind.label(),
                fmt_rate(typical, unit),
            );
            let mut f = Finding::new(Code::A08, p.severity, msg);
            f.unit = Some(u.code.clone());
            f.unit_name = Some(u.name.clone());
            f.indicator = Some(r.code.clone());
            f.location = Self::rate_origin(r, u);
            f.value = Some(n / d);
            f.expected = expected;
            f.suspicion = peer::suspicion(*m, p.threshold);
            // What the county numerator would change by if the unit's rate were typical.
            f.impact = ranking::impact(n, d * typical, county_num, county_num);
            f.statistic = Some(Statistic::new("修正z", *m, fmt_num(p.threshold)));
            out.push(f);
        }
    }

    fn sigma_gap(&self, r: &Rate, group: &[&(&UnitView, f64, f64)], out: &mut Vec<Finding>) {
        let Some(sp) = &self.params.sigma_gap else {
            return;
        };
        let data: Vec<(String, f64)> = group
            .iter()
            .map(|g| (g.0.code.clone(), g.1 / g.2))
            .collect();
        let Some(res) = sigma_gap::run(&data, sp) else {
            return;
        };
        for (id, status) in &res.flags {
            let Some(g) = group.iter().find(|g| &g.0.code == id) else {
                continue;
            };
            let msg = format!(
                "{}为{}，与同类其他单位之间存在明显断层（{}）",
                r.name,
                fmt_num(g.1 / g.2),
                status.code()
            );
            let mut f = Finding::new(Code::A10, Severity::Info, msg);
            f.unit = Some(g.0.code.clone());
            f.unit_name = Some(g.0.name.clone());
            f.indicator = Some(r.code.clone());
            f.location = Self::rate_origin(r, g.0);
            f.value = Some(g.1 / g.2);
            f.suspicion = if status.is_imputation() { 0.9 } else { 0.6 };
            f.impact = 0.0;
            f.statistic = Some(Statistic::new("gap", res.gap_exclusion, "β·σ"));
            out.push(f);
        }
    }
}
