//! Planted defects: the typical mistakes of real returns, one of each, in the last generated
//! year, never in a unit that carries the seed figures (county office, court, 规范性文件 issuers).
//! The list is data ([`PlantedDefect`]) so tests can check that `huizong check` finds exactly
//! these, and sample-data/README.md documents the same table.

use std::collections::BTreeMap;

use super::county::{County, ISSUER_DEPTS};
use super::UnitData;
use crate::codes::Code;
use crate::diagnostic::Severity;
use crate::registry::UnitKind;
use crate::sheets::DATA_SHEET;

/// The 说明 the unit with a real change (i) writes beside it.
pub const REAL_CHANGE_NOTE: &str = "开展违法建设专项整治行动，处罚案件大幅增加";
/// … and beside the amount that grew with the cases.
pub const REAL_CHANGE_AMOUNT_NOTE: &str = "处罚案件增加，罚没金额相应增加";

/// One planted defect.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedDefect {
    /// `a`–`i`, as in sample-data/README.md.
    pub id: char,
    pub year: i32,
    pub unit_code: String,
    pub unit_name: String,
    /// The file it is in (`None` for the missing unit).
    pub file: Option<String>,
    /// Sheet and indicator of the affected cell (its 本年数), if it is about one cell.
    pub sheet: Option<String>,
    pub indicator: Option<String>,
    /// What the cell holds, as typed.
    pub typed: Option<String>,
    /// Chinese description.
    pub description: String,
    /// The rule (V-code) or check that should catch it; `anomaly:…` for the anomaly ranking.
    pub rule: String,
    /// Expected severity; `None` for anomalies (ranked, not a rule finding).
    pub severity: Option<Severity>,
}

/// Registry indices of the units that carry a planted defect. Chosen before any value is drawn,
/// so units whose defect would disturb a cross-unit sum (V50, V51, V52) are left out of those
/// sums in every year, with or without `--clean`.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    pub closed_above_received: Option<usize>,
    pub placeholder: Option<usize>,
    pub unit_slip: Option<usize>,
    pub copy: Option<usize>,
    pub missing: Option<usize>,
    pub resubmission: Option<usize>,
    pub approximate: Option<usize>,
    pub full_width: Option<usize>,
    pub tripled: Option<usize>,
}

impl Roles {
    /// Preferred departments (0-based department index) and townships, with fallbacks for
    /// registries of other sizes.
    pub fn choose(county: &County) -> Roles {
        let mut used = Vec::new();
        let mut dept = |pref: usize| pick(county, UnitKind::Department, pref, &mut used);
        let unit_slip = dept(4); // 县交通运输局
        let tripled = dept(8); // 县城市管理局
        let closed_above_received = dept(15); // 县林业局
        let missing = dept(19); // 县统计局
        let resubmission = dept(11); // 县民政局
        let placeholder = dept(14); // 县水利局
        let mut town = |pref: usize| pick(county, UnitKind::Township, pref, &mut used);
        let approximate = town(3);
        let copy = town(5);
        let full_width = town(7);
        Roles {
            closed_above_received,
            placeholder,
            unit_slip,
            copy,
            missing,
            resubmission,
            approximate,
            full_width,
            tripled,
        }
    }

    /// Units left out of the handed-out sums (FY08, FY09, YS01).
    pub fn quiet(&self, i: usize) -> bool {
        [self.copy, self.missing, self.resubmission].contains(&Some(i))
    }
}

/// A unit of `kind` for a role: the preferred index if eligible, else the first eligible one.
/// Eligible: a regular unit (no merger involved), not a 规范性文件 issuer, not the police (whose
/// 行政拘留 figures are special), not the biggest township, not already used.
fn pick(county: &County, kind: UnitKind, pref: usize, used: &mut Vec<usize>) -> Option<usize> {
    let eligible = |i: usize| {
        let (Some(u), Some(p)) = (county.registry.units.get(i), county.profiles.get(i)) else {
            return false;
        };
        u.kind == kind
            && u.active_to.is_none()
            && u.predecessors.is_empty()
            && !used.contains(&i)
            && !(kind == UnitKind::Department && ISSUER_DEPTS.contains(&p.index))
            && !p.police
            && p.index != 0
    };
    let n = county.registry.units.len();
    let preferred = (0..n).find(|&i| {
        county
            .profiles
            .get(i)
            .is_some_and(|p| p.kind == kind && p.index == pref)
    });
    let chosen = preferred
        .filter(|&i| eligible(i))
        .or_else(|| (0..n).find(|&i| eligible(i)));
    if let Some(i) = chosen {
        used.push(i);
    }
    chosen
}

/// Full-width digits for a number ("23" → "２３").
fn full_width(v: f64) -> String {
    format!("{}", v as i64)
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0xFF10 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// Plants the defects into the last year's files and returns their description.
pub fn plant(
    county: &County,
    roles: &Roles,
    year: i32,
    has_prev: bool,
    files: &mut Vec<UnitData>,
) -> Vec<PlantedDefect> {
    let mut out = Vec::new();
    let mut ctx = Ctx {
        county,
        year,
        files,
        out: &mut out,
    };
    if let Some(i) = roles.closed_above_received {
        ctx.closed_above_received(i);
    }
    if let Some(i) = roles.placeholder {
        ctx.typed(
            i,
            'b',
            "ZF03",
            |_| "xx".to_string(),
            "数字单元格中残留占位符“xx”",
            Code::V02,
            Some(Severity::Error),
        );
    }
    if let Some(i) = roles.unit_slip {
        ctx.unit_slip(i);
    }
    if has_prev {
        if let Some(i) = roles.copy {
            ctx.copy(i);
        }
    }
    if let Some(i) = roles.missing {
        ctx.missing(i);
    }
    if let Some(i) = roles.resubmission {
        ctx.resubmission(i);
    }
    if let Some(i) = roles.approximate {
        ctx.typed(
            i,
            'g',
            "PF03",
            |v| format!("{}余", ((v / 100.0).floor() * 100.0).max(100.0) as i64),
            "发放宣传资料份数填了约数（“余”）",
            Code::V03,
            Some(Severity::Warning),
        );
    }
    if let Some(i) = roles.full_width {
        ctx.typed(
            i,
            'h',
            "PF01",
            full_width,
            "数字用全角字符填写（可正常读取，规范化提示）",
            Code::N01,
            Some(Severity::Info),
        );
    }
    if has_prev {
        if let Some(i) = roles.tripled {
            ctx.tripled(i);
        }
    }
    out.sort_by_key(|d| d.id);
    out
}

struct Ctx<'a> {
    county: &'a County,
    year: i32,
    files: &'a mut Vec<UnitData>,
    out: &'a mut Vec<PlantedDefect>,
}

impl Ctx<'_> {
    fn unit_code(&self, i: usize) -> Option<(String, String)> {
        let u = self.county.registry.units.get(i)?;
        Some((u.code.clone(), u.name.clone()))
    }

    fn file_mut(&mut self, code: &str) -> Option<&mut UnitData> {
        self.files.iter_mut().find(|f| f.code == code)
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        i: usize,
        id: char,
        indicator: Option<&str>,
        typed: Option<String>,
        description: &str,
        rule: &str,
        severity: Option<Severity>,
    ) {
        let Some((code, name)) = self.unit_code(i) else {
            return;
        };
        let file = self
            .files
            .iter()
            .find(|f| f.code == code)
            .and_then(|f| f.file_name.clone());
        self.out.push(PlantedDefect {
            id,
            year: self.year,
            unit_code: code,
            unit_name: name,
            file,
            sheet: indicator.map(|_| DATA_SHEET.to_string()),
            indicator: indicator.map(str::to_string),
            typed,
            description: description.to_string(),
            rule: rule.to_string(),
            severity,
        });
    }

    /// (a) 审结 more than received + carried over.
    fn closed_above_received(&mut self, i: usize) {
        let Some((code, _)) = self.unit_code(i) else {
            return;
        };
        let Some(f) = self.file_mut(&code) else {
            return;
        };
        let open = f.values.get("YS01").copied().unwrap_or(0.0)
            + f.values.get("YS02").copied().unwrap_or(0.0);
        let v = open + 2.0;
        f.values.insert("YS03".into(), v);
        let typed = Some(format!("{v}"));
        self.record(
            i,
            'a',
            Some("YS03"),
            typed,
            "一审审结案件数大于新收与上年结转之和",
            Code::new(b'V', 28).as_str(),
            Some(Severity::Error),
        );
    }

    /// A text typed into a count cell (b, g, h).
    #[allow(clippy::too_many_arguments)]
    fn typed(
        &mut self,
        i: usize,
        id: char,
        indicator: &str,
        text: impl Fn(f64) -> String,
        description: &str,
        rule: Code,
        severity: Option<Severity>,
    ) {
        let Some((code, _)) = self.unit_code(i) else {
            return;
        };
        let Some(f) = self.file_mut(&code) else {
            return;
        };
        let Some(v) = f.values.get(indicator).copied() else {
            return;
        };
        let t = text(v);
        f.typed.insert(indicator.to_string(), t.clone());
        self.record(
            i,
            id,
            Some(indicator),
            Some(t),
            description,
            rule.as_str(),
            severity,
        );
    }

    /// (c) 罚没金额 typed in 万元 while the penalty count is normal.
    fn unit_slip(&mut self, i: usize) {
        let Some((code, _)) = self.unit_code(i) else {
            return;
        };
        let Some(f) = self.file_mut(&code) else {
            return;
        };
        let Some(yuan) = f.values.get("ZF07").copied().filter(|v| *v > 0.0) else {
            return;
        };
        let wan = ((yuan / 10_000.0) * 100.0).round().max(1.0) / 100.0;
        f.values.insert("ZF07".into(), wan);
        let d = format!("罚没金额按万元填写（应为 {yuan:.0} 元），件均金额不足10元");
        self.record(
            i,
            'c',
            Some("ZF07"),
            Some(format!("{wan}")),
            &d,
            "A03（元/万元错位）",
            Some(Severity::Warning),
        );
    }

    /// (d) This year's figures are last year's, unchanged.
    fn copy(&mut self, i: usize) {
        let Some((code, _)) = self.unit_code(i) else {
            return;
        };
        let Some(f) = self.file_mut(&code) else {
            return;
        };
        if f.prior.is_empty() {
            return;
        }
        f.values = f.prior.clone();
        f.notes = BTreeMap::new();
        self.record(
            i,
            'd',
            None,
            None,
            "本年数与上年数完全相同（照抄上年）",
            "A05（照抄上年）",
            Some(Severity::Warning),
        );
    }

    /// (e) An active unit sends nothing.
    fn missing(&mut self, i: usize) {
        let Some((code, _)) = self.unit_code(i) else {
            return;
        };
        let Some(f) = self.file_mut(&code) else {
            return;
        };
        f.file_name = None;
        self.record(
            i,
            'e',
            None,
            None,
            "名册中应报单位未报送",
            "missing",
            Some(Severity::Error),
        );
    }

    /// (f) A resubmission: a corrected file beside the original, marked (修改) in its name. The
    /// marked version replaces the original (S14 on the original), nothing is held back.
    fn resubmission(&mut self, i: usize) {
        let Some((code, name)) = self.unit_code(i) else {
            return;
        };
        let Some(pos) = self.files.iter().position(|f| f.code == code) else {
            return;
        };
        let Some(mut second) = self.files.get(pos).cloned() else {
            return;
        };
        second.file_name = Some(format!("{code}_{name}_{}(修改).xlsx", self.year));
        for (c, d) in [("PF01", 2.0), ("PF02", 97.0), ("GK01", 3.0)] {
            if let Some(v) = second.values.get_mut(c) {
                *v += d;
            }
        }
        let file = second.file_name.clone();
        self.files.insert(pos + 1, second);
        self.record(
            i,
            'f',
            None,
            None,
            "同一单位先后报送两份报表，改正后的一份文件名标有“(修改)”，PF01、PF02、GK01 不同",
            "S14（新版本替代原报表）",
            Some(Severity::Info),
        );
        if let Some(last) = self.out.last_mut() {
            let first = last.file.clone().unwrap_or_default();
            last.file = file;
            last.description = format!(
                "{}；被替代的原报表为 {first}，S14 报在原报表上",
                last.description
            );
        }
    }

    /// (i) Penalties (and their breakdown and amount) nearly tripled, yet no rule fires.
    fn tripled(&mut self, i: usize) {
        const FACTOR: f64 = 2.85;
        let Some((code, _)) = self.unit_code(i) else {
            return;
        };
        let Some(f) = self.file_mut(&code) else {
            return;
        };
        let Some(prev) = f.prior.get("ZF06").copied().filter(|p| *p >= 5.0) else {
            return;
        };
        let total = (prev * FACTOR).round();
        let parts: Vec<f64> = super::values::ZF06_PARTS
            .iter()
            .map(|c| f.prior.get(*c).copied().unwrap_or(0.0))
            .collect();
        let split = super::values::split(total, &parts);
        for (c, v) in super::values::ZF06_PARTS.iter().zip(split) {
            f.values.insert(c.to_string(), v);
        }
        f.values.insert("ZF06".into(), total);
        if let Some(p) = f.prior.get("ZF07").copied() {
            let amount = (p * FACTOR).round() + 37.0;
            f.values.insert("ZF07".into(), amount);
        }
        let zf10_bound = total
            + f.values.get("ZF08C").copied().unwrap_or(0.0)
            + f.values.get("ZF09").copied().unwrap_or(0.0);
        if let Some(z) = f.values.get_mut("ZF10") {
            *z = z.min(zf10_bound);
        }
        // A real change, explained by the unit in the row's 说明 (issue #14's example).
        f.notes.insert("ZF06".into(), REAL_CHANGE_NOTE.into());
        f.notes
            .insert("ZF07".into(), REAL_CHANGE_AMOUNT_NOTE.into());
        let d = format!("行政处罚决定数由上年 {prev} 宗增至 {total} 宗（+{:.0}%），分类与金额同步增长，未触发任何规则；单位在“说明”栏写明原因：{REAL_CHANGE_NOTE}（罚没金额一行：{REAL_CHANGE_AMOUNT_NOTE}）", (total / prev - 1.0) * 100.0);
        self.record(
            i,
            'i',
            Some("ZF06"),
            Some(format!("{total}")),
            &d,
            "A01/A02（同比异常）",
            None,
        );
    }
}
