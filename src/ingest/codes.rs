//! The built-in finding codes the reader emits (S.. structure, N.. normalisation), with their
//! default severity, Chinese title and help text. `huizong rule S03` prints these. The V-codes the
//! reader also emits (V01/V02/V03/V05) belong to the schema; [`severity_for`] takes their severity
//! from the schema when it defines the rule, else the domain default listed here.

use crate::diagnostic::Severity;
use crate::schema::Schema;

/// One built-in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinCode {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub help: &'static str,
}

/// Every code the reader defines itself, sorted by code.
pub const BUILTIN: [BuiltinCode; 11] = [
    BuiltinCode {
        code: "N01",
        severity: Severity::Info,
        title: "数值已规范化",
        help: "单元格内容经过规范化后才能读成数值，例如全角数字“１２”转为半角“12”、去除千位分隔符或计量单位。读取结果已采用，无需处理，今后请直接填写半角数字。",
    },
    BuiltinCode {
        code: "N02",
        severity: Severity::Warning,
        title: "单元格格式与指标不符",
        help: "数量或金额单元格的数字格式为百分比、日期或文本（@），Excel 显示的内容与程序读取的数值不同（例如填写 1 显示为“100%”），或者输入的数字被按文字保存、合计时不被计入。程序按单元格中实际保存的数值读取，日期格式的单元格不读取。请选中该单元格，将格式设为“常规”或“数值”后重新填写。只检查 .xlsx/.xlsm 文件。",
    },
    BuiltinCode {
        code: "S01",
        severity: Severity::Error,
        title: "不是可读取的工作簿",
        help: "文件不是 Excel 工作簿（.xlsx/.xlsm/.xls）或 OpenDocument 表格（.ods），或者文件已损坏、为空。常见原因：Word 文档、网页(HTML)导出文件、CSV 文本、下载不完整。请用 Excel 打开报表模板填写后另存为 .xlsx 重新报送。",
    },
    BuiltinCode {
        code: "S02",
        severity: Severity::Error,
        title: "文件加密",
        help: "文件设有打开密码，程序无法读取。请在 Excel 中去除打开密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新报送。",
    },
    BuiltinCode {
        code: "S03",
        severity: Severity::Error,
        title: "缺少封面或封面字段",
        help: "找不到封面（工作表“封面”或含“单位代码”的工作表），或封面缺少某个字段、字段未填写。单位代码、单位名称、单位类型、统计年度缺失为错误，其余字段缺失为警告。请使用下发的模板，不要删除封面行。",
    },
    BuiltinCode {
        code: "S04",
        severity: Severity::Error,
        title: "找不到统计表",
        help: "没有任何工作表含有“代码”和“本年数”表头，无法定位指标数据。请使用下发的模板填报，不要删除或改写表头行。",
    },
    BuiltinCode {
        code: "S05",
        severity: Severity::Warning,
        title: "模板版本与指标体系不符",
        help: "封面的模板版本与本次使用的指标体系不一致，可能使用了往年模板。程序仍按指标代码读取，缺少的指标另行报出；请改用本年度模板。",
    },
    BuiltinCode {
        code: "S06",
        severity: Severity::Error,
        title: "指标行缺失",
        help: "该单位类型应填报的指标在统计表中找不到对应代码的行（行被删除或代码被改动）。请恢复该指标行后填报。",
    },
    BuiltinCode {
        code: "S07",
        severity: Severity::Error,
        title: "代码重复",
        help: "同一指标代码在统计表中出现了不止一次，程序采用第一次出现的行。请删除重复的行。",
    },
    BuiltinCode {
        code: "S08",
        severity: Severity::Warning,
        title: "未知代码",
        help: "代码列中出现了指标体系中没有的代码，该行未被读取。若是自行增加的行请删除；若是代码写错请改正。",
    },
    BuiltinCode {
        code: "S09",
        severity: Severity::Error,
        title: "文件过大或结构异常",
        help: "文件超过读取上限（文件大小、解压后大小、压缩比、文件条目数或工作表行列数），为防止程序被拖垮而拒绝读取。正常的报表只有几十 KB，请检查是否误粘贴了大量内容，删除多余行列后重新保存。",
    },
];

/// Looks up a built-in code.
pub fn builtin(code: &str) -> Option<&'static BuiltinCode> {
    BUILTIN.iter().find(|c| c.code == code)
}

/// The domain default severity of the schema codes the reader emits (domain §1.5).
fn schema_default(code: &str) -> Severity {
    match code {
        "V01" | "V02" => Severity::Error,
        "V03" | "V05" => Severity::Warning,
        _ => Severity::Error,
    }
}

/// The severity to use for `code`: the schema's rule when it has one, else the built-in or
/// domain default.
pub fn severity_for(schema: &Schema, code: &str) -> Severity {
    if let Some(rule) = schema.rule(code) {
        return rule.severity;
    }
    builtin(code)
        .map(|c| c.severity)
        .unwrap_or_else(|| schema_default(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_unique() {
        let codes: Vec<&str> = BUILTIN.iter().map(|c| c.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert_eq!(builtin("S02").map(|c| c.title), Some("文件加密"));
        assert!(builtin("V01").is_none());
    }
}
