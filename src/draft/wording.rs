//! Every wording rule of the report sentences, in one place: how numbers are written, how a
//! year-on-year change is put into words, how rates and their change are written.
//!
//! Rules (checked against the seeds, docs/reference/domain.md §1.4 "Year-on-year"):
//!
//! * Numerals are Arabic digits, as the reports write them ("70件", "8.93%").
//! * Rounding is half-up on the magnitude (never banker's rounding): 204.35% → 204%,
//!   −47.06% → 47%. A tiny epsilon absorbs binary noise so 8.925 becomes 8.93, not 8.92.
//! * Percent changes are whole numbers in sentences. A real change that rounds to 0% is written
//!   with one decimal ("增长0.4%"); if even that is 0.0 it is "基本持平" — never "增长0%".
//! * Rates are written with the rate's own decimals (2 → "8.93%").
//! * Large numbers: from 10000 (一万) on, numbers are written in 万 with one decimal, half-up,
//!   a trailing ".0" dropped: 1642345 → "164.2万", 200000 → "20万", 12345 → "1.2万". The exact
//!   value stays in the 数据来源 table; the seeds themselves write "164万余件", "20万条".
//!   Below 10000 whole numbers are written in full ("5218名"); non-integers (amounts in 元)
//!   with at most two decimals, trailing zeros dropped.
//! * Direction words: counts change "增加/减少 N件" (absolute) and "增长/减少 n%" (relative);
//!   rates "上升/下降 x个百分点"; no change is "持平". The sign is always in the word, never in
//!   the number: no "增长-5%".
//! * A prior year of 0 has no percentage: "上年为0，新增X件".

/// Values from this magnitude on are written in 万.
pub const WAN_THRESHOLD: f64 = 10_000.0;
/// Decimals of a number written in 万.
pub const WAN_DECIMALS: u8 = 1;

/// Rounds half-up on the magnitude (half away from zero) to `decimals` places.
pub fn round_half_up(x: f64, decimals: u8) -> f64 {
    let scale = 10f64.powi(i32::from(decimals));
    let scaled = x.abs() * scale;
    // Relative epsilon: 8.925 is stored as 8.92499999…; reports round it to 8.93.
    let rounded = (scaled + 0.5 + scaled * 1e-12 + 1e-9).floor() / scale;
    if x < 0.0 {
        -rounded
    } else {
        rounded
    }
}

/// `x` rounded half-up and written with exactly `decimals` places ("8.93", "204").
pub fn fixed(x: f64, decimals: u8) -> String {
    let r = round_half_up(x, decimals);
    // -0.0 would print as "-0".
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r:.prec$}", prec = usize::from(decimals))
}

/// `x` rounded half-up to at most `decimals` places, trailing zeros dropped ("2", "1.5").
pub fn trimmed(x: f64, decimals: u8) -> String {
    let s = fixed(x, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A number as the reports write it: "70", "5218", "7610.5", "164.2万".
pub fn number(x: f64) -> String {
    if x.abs() >= WAN_THRESHOLD {
        format!("{}万", trimmed(x / 10_000.0, WAN_DECIMALS))
    } else {
        trimmed(x, 2)
    }
}

/// A ratio in [0,1] as a percentage with `decimals` places: 0.089285… → "8.93%".
pub fn percent(ratio: f64, decimals: u8) -> String {
    format!("{}%", fixed(ratio * 100.0, decimals))
}

/// Absolute change in words: "增加8件", "减少8件", "持平".
pub fn change_words(value: f64, prior: f64, unit: &str) -> String {
    let delta = value - prior;
    if delta == 0.0 {
        "持平".to_string()
    } else if delta > 0.0 {
        format!("增加{}{unit}", number(delta))
    } else {
        format!("减少{}{unit}", number(-delta))
    }
}

/// Relative change in words: "增长204%", "减少47%", "持平", or — when the prior year is 0 —
/// "上年为0，新增70件" (never a percentage there).
pub fn pct_words(value: f64, prior: f64, unit: &str) -> String {
    let delta = value - prior;
    if delta == 0.0 {
        return "持平".to_string();
    }
    if prior == 0.0 {
        return zero_prior_words(value, unit);
    }
    let pct = delta / prior * 100.0;
    let word = if pct > 0.0 { "增长" } else { "减少" };
    let whole = round_half_up(pct.abs(), 0);
    if whole > 0.0 {
        return format!("{word}{}%", fixed(whole, 0));
    }
    let tenth = round_half_up(pct.abs(), 1);
    if tenth > 0.0 {
        format!("{word}{}%", fixed(tenth, 1))
    } else {
        "基本持平".to_string()
    }
}

/// "上年为0，新增X件".
fn zero_prior_words(value: f64, unit: &str) -> String {
    format!("上年为0，新增{}{unit}", number(value))
}

/// The whole year-on-year clause of a count, as in S002 L15:
/// "比去年减少8件，同比减少47%", "比去年增加47件，同比增长204%", "与去年持平",
/// "上年为0，新增9件".
pub fn yoy_clause(value: f64, prior: f64, unit: &str) -> String {
    let delta = value - prior;
    if delta == 0.0 {
        "与去年持平".to_string()
    } else if prior == 0.0 {
        zero_prior_words(value, unit)
    } else {
        format!(
            "比去年{}，同比{}",
            change_words(value, prior, unit),
            pct_words(value, prior, unit)
        )
    }
}

/// Change of a rate in 百分点 (never "%"): "上升1.23个百分点", "下降0.5个百分点", "持平".
/// `value` and `prior` are ratios in [0,1]; the difference is rounded to `decimals`.
pub fn pp_words(value: f64, prior: f64, decimals: u8) -> String {
    let pp = (value - prior) * 100.0;
    let magnitude = round_half_up(pp.abs(), decimals);
    if magnitude == 0.0 {
        "持平".to_string()
    } else {
        let word = if pp > 0.0 { "上升" } else { "下降" };
        format!("{word}{}个百分点", trimmed(magnitude, decimals))
    }
}

/// "n个单位中有m个": the yes-count of a 是/否 indicator, followed in the templates by "单位…".
/// "45个单位中有41个"; when some expected units were not aggregated (missing or held back), the
/// base is the aggregated units, so a unit that did not report is never counted as a 否. When
/// every unit answered 是 the sentence says so: "全部45个" (单位聘请了…), or "已汇总的41个" when
/// some were not aggregated, never "41个单位中有41个".
pub fn yes_words(yes: u32, reporting: u32, expected: u32) -> String {
    match (yes == reporting && yes > 0, reporting < expected) {
        (true, false) => format!("全部{expected}个"),
        (true, true) => format!("已汇总的{reporting}个"),
        (false, true) => format!("已汇总的{reporting}个单位中有{yes}个"),
        (false, false) => format!("{expected}个单位中有{yes}个"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up_on_magnitude() {
        assert_eq!(fixed(204.347_826, 0), "204");
        assert_eq!(fixed(-47.058_823, 0), "-47");
        assert_eq!(fixed(0.5, 0), "1");
        assert_eq!(fixed(2.5, 0), "3"); // not banker's rounding
        assert_eq!(fixed(8.925, 2), "8.93"); // binary noise absorbed
        assert_eq!(fixed(-0.001, 2), "0.00");
    }

    #[test]
    fn numbers_are_arabic_with_wan_for_large_values() {
        assert_eq!(number(70.0), "70");
        assert_eq!(number(5218.0), "5218");
        assert_eq!(number(9999.0), "9999");
        assert_eq!(number(10_000.0), "1万");
        assert_eq!(number(12_345.0), "1.2万");
        assert_eq!(number(200_000.0), "20万");
        assert_eq!(number(1_642_345.0), "164.2万");
        assert_eq!(number(1_649_999.0), "165万");
        assert_eq!(number(7610.5), "7610.5");
        assert_eq!(number(28.456), "28.46");
    }

    #[test]
    fn percent_uses_the_rate_decimals() {
        assert_eq!(percent(5.0 / 56.0, 2), "8.93%");
        assert_eq!(percent(1.0, 0), "100%");
        assert_eq!(percent(0.996, 1), "99.6%");
        assert_eq!(percent(0.0, 2), "0.00%");
    }

    #[test]
    fn increase_and_decrease_in_percent() {
        assert_eq!(pct_words(70.0, 23.0, "件"), "增长204%");
        assert_eq!(pct_words(9.0, 17.0, "件"), "减少47%");
        // The sign lives in the word, never "增长-5%".
        assert_eq!(pct_words(95.0, 100.0, "件"), "减少5%");
        assert!(!pct_words(95.0, 100.0, "件").contains('-'));
    }

    #[test]
    fn tiny_changes_are_not_written_as_zero_percent() {
        assert_eq!(pct_words(1004.0, 1000.0, "件"), "增长0.4%");
        assert_eq!(pct_words(100_001.0, 100_000.0, "件"), "基本持平");
    }

    #[test]
    fn no_change_is_chiping() {
        assert_eq!(pct_words(17.0, 17.0, "件"), "持平");
        assert_eq!(change_words(17.0, 17.0, "件"), "持平");
        assert_eq!(yoy_clause(17.0, 17.0, "件"), "与去年持平");
        assert_eq!(yoy_clause(0.0, 0.0, "件"), "与去年持平");
    }

    #[test]
    fn zero_prior_year_has_no_percentage() {
        assert_eq!(pct_words(70.0, 0.0, "件"), "上年为0，新增70件");
        assert_eq!(yoy_clause(9.0, 0.0, "件"), "上年为0，新增9件");
        assert!(!yoy_clause(9.0, 0.0, "件").contains('%'));
    }

    #[test]
    fn absolute_change_uses_zengjia_jianshao() {
        assert_eq!(change_words(9.0, 17.0, "件"), "减少8件");
        assert_eq!(change_words(70.0, 23.0, "件"), "增加47件");
        assert_eq!(change_words(1_700_000.0, 20_000.0, "件"), "增加168万件");
    }

    #[test]
    fn yoy_clause_matches_the_seed() {
        assert_eq!(yoy_clause(9.0, 17.0, "件"), "比去年减少8件，同比减少47%");
        assert_eq!(yoy_clause(70.0, 23.0, "件"), "比去年增加47件，同比增长204%");
    }

    #[test]
    fn rate_change_is_in_percentage_points() {
        assert_eq!(pp_words(5.0 / 56.0, 0.1, 2), "下降1.07个百分点");
        assert_eq!(pp_words(0.5, 0.4, 2), "上升10个百分点");
        assert_eq!(pp_words(0.5, 0.5, 2), "持平");
        assert_eq!(pp_words(0.50001, 0.5, 2), "持平");
        assert!(!pp_words(0.2, 0.5, 1).contains('%'));
    }

    #[test]
    fn yes_counts() {
        assert_eq!(yes_words(12, 15, 15), "15个单位中有12个");
        assert_eq!(yes_words(12, 13, 15), "已汇总的13个单位中有12个");
        assert_eq!(yes_words(15, 15, 15), "全部15个");
        assert_eq!(yes_words(13, 13, 15), "已汇总的13个");
        assert_eq!(yes_words(0, 15, 15), "15个单位中有0个");
    }
}
