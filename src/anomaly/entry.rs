//! Problems, not lines: the ranked findings grouped into entries, one per unit and problem, so
//! one bad return does not fill the top of the 异常提示 list with a dozen lines of one cause.
//!
//! Lines of one unit join one entry when they share a cause:
//! - a whole-submission finding (A05 copied year, A06 identical to another unit, unit-level A07
//!   heaping) takes every line of its unit: a copied sheet explains each of its jumps;
//! - a rate finding joins the line on its numerator or denominator (a 万元 slip on ZF07 and A08
//!   on 件均罚没金额 RZF03 are one slip);
//! - a breakdown joins its total (schema `parent`);
//! - lines of one section that fell to zero together form one entry (a zeroed block).
//!
//! An entry's score adds its lines' scores (independent evidence of one problem adds up; a
//! block of 23 zeros weighs more than one modest change). Entries rank as a reviewer works:
//! open ones (待核实, 不予认可) first, then those the unit explained (已说明), then those the
//! reviewer confirmed (已确认); within each, by worst severity, then score. County-level
//! findings (no unit) are entries of their own. [`arrange`] puts the findings in entry order and
//! numbers them (`Finding::entry`, `Finding::rank`), so every output lists an entry's lines
//! together, its main line first.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::status::Status;
use super::Finding;
use crate::codes::Code;
use crate::diagnostic::Severity;
use crate::schema::Schema;

/// One ranked problem: a unit's findings of one cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// 1-based position in the ranked list of entries.
    pub rank: usize,
    /// `None` for a county- or group-level finding.
    pub unit: Option<String>,
    /// Indices into the findings passed in, main line first.
    pub lines: Vec<usize>,
    /// Worst severity among the lines.
    pub severity: Severity,
    /// Open, explained or confirmed as a whole: open when any line is open.
    pub status: Status,
    /// Σ of the lines' scores.
    pub score: f64,
}

impl Entry {
    /// 0 open, 1 explained by the unit, 2 confirmed by the reviewer.
    fn class(&self) -> u8 {
        match self.status {
            Status::Open | Status::Rejected => 0,
            Status::Explained => 1,
            Status::Confirmed => 2,
        }
    }
}

/// Whole-submission findings: they explain every line of their unit.
fn whole_submission(f: &Finding) -> bool {
    matches!(f.code, Code::A05 | Code::A06) || (f.code == Code::A07 && f.indicator.is_none())
}

/// Groups `findings` (in any order) into ranked entries. `schema` gives the rates' inputs, the
/// breakdowns' totals and the sections.
pub fn entries(findings: &[Finding], schema: &Schema) -> Vec<Entry> {
    let mut by_unit: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        match f.unit.as_deref() {
            Some(u) => by_unit.entry(u).or_default().push(i),
            None => out.push(entry(findings, vec![i])),
        }
    }
    for lines in by_unit.into_values() {
        for group in causes(findings, &lines, schema) {
            out.push(entry(findings, group));
        }
    }
    out.sort_by(order);
    for (i, e) in out.iter_mut().enumerate() {
        e.rank = i + 1;
    }
    out
}

/// The entry of these lines, main line (most severe, then highest score) first.
fn entry(findings: &[Finding], mut lines: Vec<usize>) -> Entry {
    lines.sort_by(|&a, &b| main_first(&findings[a], &findings[b]).then(a.cmp(&b)));
    let open = |f: &Finding| !f.status.is_settled();
    let ls = || lines.iter().map(|&i| &findings[i]);
    let status = if ls().any(open) {
        ls().map(|f| f.status)
            .find(|s| *s == Status::Rejected)
            .unwrap_or(Status::Open)
    } else if ls().any(|f| f.status == Status::Explained) {
        Status::Explained
    } else {
        Status::Confirmed
    };
    Entry {
        rank: 0,
        unit: findings[lines[0]].unit.clone(),
        severity: ls().map(|f| f.severity).min().unwrap_or(Severity::Info),
        status,
        score: ls().map(|f| f.score).sum(),
        lines,
    }
}

fn main_first(a: &Finding, b: &Finding) -> Ordering {
    a.severity
        .cmp(&b.severity)
        .then(whole_submission(b).cmp(&whole_submission(a)))
        .then(b.score.total_cmp(&a.score))
        .then(a.code.cmp(&b.code))
        .then(a.indicator.cmp(&b.indicator))
}

/// (open, explained, confirmed), worst severity, −score, unit, first line.
fn order(a: &Entry, b: &Entry) -> Ordering {
    a.class()
        .cmp(&b.class())
        .then(a.severity.cmp(&b.severity))
        .then(b.score.total_cmp(&a.score))
        .then(a.unit.is_none().cmp(&b.unit.is_none()))
        .then(a.unit.cmp(&b.unit))
        .then(a.lines.cmp(&b.lines))
}

/// Splits one unit's lines into groups of one cause (see the module doc).
fn causes(findings: &[Finding], lines: &[usize], schema: &Schema) -> Vec<Vec<usize>> {
    if lines.iter().any(|&i| whole_submission(&findings[i])) {
        return vec![lines.to_vec()];
    }
    let mut parent: Vec<usize> = (0..lines.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let key = |i: usize| findings[lines[i]].indicator.as_deref().unwrap_or("");
    for a in 0..lines.len() {
        for b in a + 1..lines.len() {
            if same_cause(
                &findings[lines[a]],
                &findings[lines[b]],
                key(a),
                key(b),
                schema,
            ) {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &line) in lines.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(line);
    }
    groups.into_values().collect()
}

/// Whether two lines of one unit have one cause.
fn same_cause(a: &Finding, b: &Finding, ia: &str, ib: &str, schema: &Schema) -> bool {
    if ia.is_empty() || ib.is_empty() || ia == ib {
        return ia == ib;
    }
    let inputs = |r: &str, i: &str| {
        schema
            .rates
            .iter()
            .find(|x| x.code == r)
            .is_some_and(|x| x.numerator_text == i || x.denominator_text == i)
    };
    if inputs(ia, ib) || inputs(ib, ia) {
        return true;
    }
    let (Some(xa), Some(xb)) = (schema.indicator(ia), schema.indicator(ib)) else {
        return false;
    };
    if xa.parent.as_deref() == Some(ib) || xb.parent.as_deref() == Some(ia) {
        return true;
    }
    let zeroed = |f: &Finding| f.value == Some(0.0) && f.prior.is_some_and(|p| p > 0.0);
    xa.section == xb.section && zeroed(a) && zeroed(b)
}

/// Puts `findings` in entry order (an entry's lines together, main line first), sets each
/// line's `entry` (the entry's rank) and `rank` (the line's position), and returns the entries
/// with their `lines` pointing at the new positions.
pub fn arrange(findings: &mut Vec<Finding>, schema: &Schema) -> Vec<Entry> {
    let mut es = entries(findings, schema);
    let mut taken: Vec<Option<Finding>> = std::mem::take(findings).into_iter().map(Some).collect();
    for e in &mut es {
        let mut new_lines = Vec::with_capacity(e.lines.len());
        for &i in &e.lines {
            if let Some(mut f) = taken.get_mut(i).and_then(Option::take) {
                f.entry = e.rank;
                f.rank = findings.len() + 1;
                new_lines.push(findings.len());
                findings.push(f);
            }
        }
        e.lines = new_lines;
    }
    es
}

/// The main line of every open entry, in entry order (findings as [`arrange`] left them): what
/// a short listing shows, one line per problem.
pub fn main_lines(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    let mut last = None;
    findings.iter().filter(move |f| {
        let first = last != Some(f.entry);
        last = Some(f.entry);
        first && !f.status.is_settled()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(code: Code, sev: Severity, unit: &str, ind: Option<&str>, score: f64) -> Finding {
        let mut f = Finding::new(code, sev, format!("{code} {ind:?}"));
        f.unit = Some(unit.into());
        f.indicator = ind.map(String::from);
        f.score = score;
        f
    }

    fn units_and_sizes(es: &[Entry]) -> Vec<(String, usize)> {
        es.iter()
            .map(|e| (e.unit.clone().unwrap_or_default(), e.lines.len()))
            .collect()
    }

    #[test]
    fn a_copied_sheet_is_one_entry_and_adds_up() {
        let schema = Schema::default_schema();
        let mut f = vec![line(Code::A06, Severity::Error, "D06", None, 1.0)];
        for ind in ["ZF06", "ZF07", "ZF10", "FY08"] {
            f.push(line(Code::A01, Severity::Warning, "D06", Some(ind), 0.25));
        }
        f.push(line(Code::A03, Severity::Warning, "D02", Some("ZF07"), 1.5));
        let es = entries(&f, &schema);
        assert_eq!(
            units_and_sizes(&es),
            [("D06".to_string(), 5), ("D02".to_string(), 1)]
        );
        assert_eq!(es[0].score, 2.0);
        assert_eq!(f[es[0].lines[0]].code, Code::A06, "main line first");
    }

    #[test]
    fn a_slip_and_its_rate_are_one_entry_an_unrelated_change_is_not() {
        let schema = Schema::default_schema();
        let f = vec![
            line(Code::A03, Severity::Warning, "D02", Some("ZF07"), 0.9),
            line(Code::A08, Severity::Info, "D02", Some("RZF03"), 0.1),
            line(Code::A01, Severity::Info, "D02", Some("FY08"), 0.05),
        ];
        let es = entries(&f, &schema);
        assert_eq!(
            units_and_sizes(&es),
            [("D02".to_string(), 2), ("D02".to_string(), 1)]
        );
    }

    #[test]
    fn a_zeroed_block_is_one_entry_but_one_zero_beside_a_rise_is_not() {
        let schema = Schema::default_schema();
        let zero = |ind: &str| {
            let mut l = line(Code::A02, Severity::Warning, "D16", Some(ind), 0.01);
            (l.value, l.prior) = (Some(0.0), Some(40.0));
            l
        };
        let mut rise = line(Code::A01, Severity::Warning, "D16", Some("ZF04"), 0.01);
        (rise.value, rise.prior) = (Some(90.0), Some(40.0));
        let f = vec![zero("ZF01"), zero("ZF02"), zero("ZF05"), rise];
        assert_eq!(
            units_and_sizes(&entries(&f, &schema)),
            [("D16".to_string(), 3), ("D16".to_string(), 1)]
        );
    }

    #[test]
    fn explained_entries_rank_below_every_open_one_whatever_the_severity() {
        let schema = Schema::default_schema();
        let mut big = line(Code::A01, Severity::Warning, "D07", Some("ZF06"), 5.0);
        big.status = Status::Explained;
        let mut confirmed = line(Code::A03, Severity::Warning, "D08", Some("ZF07"), 9.0);
        confirmed.status = Status::Confirmed;
        let small = line(Code::A07, Severity::Info, "T10", None, 0.001);
        let f = vec![big, confirmed, small];
        let es = entries(&f, &schema);
        let order: Vec<(&str, Status)> = es
            .iter()
            .map(|e| (e.unit.as_deref().unwrap_or(""), e.status))
            .collect();
        assert_eq!(
            order,
            [
                ("T10", Status::Open),
                ("D07", Status::Explained),
                ("D08", Status::Confirmed)
            ]
        );
    }

    #[test]
    fn arrange_keeps_an_entrys_lines_together_and_numbers_them() {
        let schema = Schema::default_schema();
        let mut f = vec![
            line(Code::A01, Severity::Warning, "D06", Some("ZF06"), 0.2),
            line(Code::A03, Severity::Warning, "D02", Some("ZF07"), 0.5),
            line(Code::A06, Severity::Error, "D06", None, 1.0),
        ];
        let es = arrange(&mut f, &schema);
        let got: Vec<(usize, usize, Code)> = f.iter().map(|x| (x.entry, x.rank, x.code)).collect();
        assert_eq!(
            got,
            [(1, 1, Code::A06), (1, 2, Code::A01), (2, 3, Code::A03)]
        );
        assert_eq!(es[0].lines, [0, 1]);
        let main: Vec<Code> = main_lines(&f).map(|x| x.code).collect();
        assert_eq!(main, [Code::A06, Code::A03]);
    }
}
