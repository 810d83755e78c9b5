//! Cell formats and width helpers shared by the three template sheets.
//!
//! Colours tell the unit what to do: pale yellow = fill this in (unlocked), grey = given by the
//! county (locked). Every sheet is protected, so only the yellow cells take input.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, ProtectionOptions};

use crate::schema::ValueType;

/// Fill of cells the unit types into.
pub const INPUT_FILL: &str = "#FFF2CC";
/// Fill of locked cells given by the county (registry fields, 上年数).
pub const GIVEN_FILL: &str = "#EDEDED";
/// Fill of header and section rows.
pub const HEADER_FILL: &str = "#DDEBF7";

/// Number format of counts (件, 次, 人 …).
pub const COUNT_FORMAT: &str = "0";
/// Number format of amounts in 元.
pub const AMOUNT_FORMAT: &str = "#,##0.00";

/// A sheet title: large, bold, centred.
pub fn title() -> Format {
    Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
}

/// Plain text with a thin border, vertically centred, wrapping.
pub fn cell() -> Format {
    Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
}

/// A column header or table label.
pub fn header() -> Format {
    cell()
        .set_bold()
        .set_background_color(HEADER_FILL)
        .set_align(FormatAlign::Center)
}

/// A section row of the indicator table.
pub fn section() -> Format {
    cell().set_bold().set_background_color(HEADER_FILL)
}

/// A locked cell whose value comes from the registry or last year.
pub fn given() -> Format {
    cell().set_background_color(GIVEN_FILL)
}

/// An unlocked cell the unit fills in.
pub fn input() -> Format {
    cell().set_unlocked().set_background_color(INPUT_FILL)
}

/// The number format for a value type (`None` for 是/否, which is text).
pub fn number_format(t: ValueType) -> Option<&'static str> {
    match t {
        ValueType::Count => Some(COUNT_FORMAT),
        ValueType::Amount => Some(AMOUNT_FORMAT),
        ValueType::YesNo => None,
    }
}

/// `base` with the number format of `t`, right-aligned like numbers.
pub fn typed(base: Format, t: ValueType) -> Format {
    match number_format(t) {
        Some(f) => base.set_num_format(f).set_align(FormatAlign::Right),
        None => base.set_align(FormatAlign::Center),
    }
}

/// Protection that keeps the layout but still lets users resize rows and columns.
pub fn protection() -> ProtectionOptions {
    ProtectionOptions {
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::default()
    }
}

/// Display width of `s` in Excel column units: CJK and other wide characters count two.
/// (`autofit` under-sizes CJK text, so widths are set from this.)
pub fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if (c as u32) < 0x1100 { 1.0 } else { 2.0 })
        .sum()
}

/// A column width that fits the widest of `texts`, clamped to `[min, max]`, plus padding.
pub fn column_width<'a>(texts: impl IntoIterator<Item = &'a str>, min: f64, max: f64) -> f64 {
    let widest = texts.into_iter().map(text_width).fold(0.0, f64::max);
    (widest + 2.0).clamp(min, max)
}

/// Row height (points) for `text` wrapped in a column of `width` units: Excel does not grow
/// rows for wrapped text written by rust_xlsxwriter, so the height is set explicitly.
pub fn wrapped_height(text: &str, width: f64) -> f64 {
    let usable = (width - 1.0).max(1.0);
    let lines = text
        .split('\n')
        .map(|l| (text_width(l) / usable).ceil().max(1.0))
        .sum::<f64>();
    15.0 * lines.max(1.0) + 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_cjk_double() {
        assert_eq!(text_width("ZF06"), 4.0);
        assert_eq!(text_width("行政复议"), 8.0);
        assert_eq!(column_width(["行政复议", "ab"], 6.0, 60.0), 10.0);
        assert_eq!(column_width(["很长".repeat(50).as_str()], 6.0, 40.0), 40.0);
        assert_eq!(wrapped_height("短", 20.0), 18.0);
        assert_eq!(wrapped_height(&"字".repeat(19), 20.0), 33.0);
    }
}
