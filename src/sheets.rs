//! The template layout: sheet names, cover fields and indicator-table columns. The template writer
//! (`report::template`) and the reader (`ingest`) both use this one description, so they cannot
//! drift apart. The reader finds things by these labels and by the code column, never by fixed
//! cell positions, so returned workbooks with inserted rows or renamed sheets still read.

/// The cover sheet (封面): label in column A, value in column B.
pub const COVER_SHEET: &str = "封面";
/// The indicator sheet: one row per indicator, located by the code column.
pub const DATA_SHEET: &str = "统计表";
/// The filling guide generated from the schema.
pub const GUIDE_SHEET: &str = "填报说明";

/// Row of the cover sheet's title; the fields start two rows below.
pub const COVER_TITLE_ROW: u32 = 0;
pub const COVER_FIRST_FIELD_ROW: u32 = 2;
pub const COVER_LABEL_COL: u16 = 0;
pub const COVER_VALUE_COL: u16 = 1;

/// A field of the cover sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoverField {
    UnitCode,
    UnitName,
    UnitKind,
    Year,
    CutoffDate,
    Filler,
    Phone,
    Head,
    TemplateVersion,
}

impl CoverField {
    /// In sheet order.
    pub const ALL: [CoverField; 9] = [
        CoverField::UnitCode,
        CoverField::UnitName,
        CoverField::UnitKind,
        CoverField::Year,
        CoverField::CutoffDate,
        CoverField::Filler,
        CoverField::Phone,
        CoverField::Head,
        CoverField::TemplateVersion,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CoverField::UnitCode => "单位代码",
            CoverField::UnitName => "单位名称",
            CoverField::UnitKind => "单位类型",
            CoverField::Year => "统计年度",
            CoverField::CutoffDate => "统计截止日期",
            CoverField::Filler => "填报人",
            CoverField::Phone => "联系电话",
            CoverField::Head => "单位负责人",
            CoverField::TemplateVersion => "模板版本",
        }
    }

    /// Whether the unit fills this field (the rest come from the registry and are locked).
    pub fn editable(self) -> bool {
        matches!(
            self,
            CoverField::Filler | CoverField::Phone | CoverField::Head | CoverField::CutoffDate
        )
    }

    /// The 0-based row of this field in a freshly generated template.
    pub fn template_row(self) -> u32 {
        COVER_FIRST_FIELD_ROW + CoverField::ALL.iter().position(|f| *f == self).unwrap_or(0) as u32
    }
}

/// A column of the indicator sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataColumn {
    Code,
    Name,
    Unit,
    Current,
    Prior,
    Note,
}

impl DataColumn {
    /// In sheet order.
    pub const ALL: [DataColumn; 6] = [
        DataColumn::Code,
        DataColumn::Name,
        DataColumn::Unit,
        DataColumn::Current,
        DataColumn::Prior,
        DataColumn::Note,
    ];

    /// The header label.
    pub fn label(self) -> &'static str {
        match self {
            DataColumn::Code => "代码",
            DataColumn::Name => "指标名称",
            DataColumn::Unit => "计量单位",
            DataColumn::Current => "本年数",
            DataColumn::Prior => "上年数",
            DataColumn::Note => "说明",
        }
    }

    /// The 0-based column in a freshly generated template.
    pub fn template_col(self) -> u16 {
        DataColumn::ALL.iter().position(|c| *c == self).unwrap_or(0) as u16
    }
}

/// Rows 0–1 of the indicator sheet hold the title and the unit line; row 2 is the header.
pub const DATA_HEADER_ROW: u32 = 2;
/// First indicator or section row in a freshly generated template.
pub const DATA_FIRST_ROW: u32 = 3;

/// The 说明 text that does not count as an explanation (the 联网直报 rule: no bare "核实无误").
pub const EMPTY_EXPLANATIONS: [&str; 6] =
    ["核实无误", "无误", "属实", "情况属实", "数据属实", "已核实"];
/// Minimum length (in characters) of a real explanation (the 联网直报 minimum).
pub const MIN_EXPLANATION_CHARS: usize = 6;

/// Whether a 说明 text is a real explanation of a warning.
pub fn is_real_explanation(text: &str) -> bool {
    let t = text.trim().trim_end_matches(['。', '.', '！', '!']);
    t.chars().count() >= MIN_EXPLANATION_CHARS && !EMPTY_EXPLANATIONS.contains(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explanations() {
        assert!(!is_real_explanation("核实无误"));
        assert!(!is_real_explanation("核实无误。"));
        assert!(!is_real_explanation("已核实"));
        assert!(!is_real_explanation("  "));
        assert!(is_real_explanation("专项整治行动查处案件增多"));
    }

    #[test]
    fn layout_is_consistent() {
        assert_eq!(CoverField::UnitCode.template_row(), 2);
        assert_eq!(CoverField::TemplateVersion.template_row(), 10);
        assert_eq!(DataColumn::Current.template_col(), 3);
    }
}
