//! The one table of finding codes the program itself emits: every code, its default severity,
//! Chinese title and help, and the module that owns it. `huizong rule` prints from here and from
//! the schema's expression rules (which carry their own codes); `docs/rules.md` is generated
//! from both (`huizong rule --markdown`) and a test keeps it current.
//!
//! | prefix | what | owner |
//! |---|---|---|
//! | `S` | structure of a file or a batch (unreadable, no cover, two files for one unit) | `ingest`, `validate::batch` |
//! | `N` | normalisation of a value (full-width digits, thousands separators) | `ingest::value` |
//! | `V` | the domain rules (V01–V06, V50–V52, V67 here; V10–V44, V60–V66 are schema expressions) | `ingest`, `validate` |
//! | `A` | anomaly methods | `anomaly` |
//! | `X` | the program's own failure, never the submitter's | `ingest` |
//!
//! A schema may change a built-in code's severity (and, for codes whose message is a template,
//! its message) with `[[overrides]]`; it cannot define an expression rule under a built-in code.
//! Where a domain rule and an anomaly method would judge the same fact, only one code exists:
//! a YoY jump is A01/A02 (the domain's V45), a copied year A05 (V46), a reported rate that does
//! not match its counts A04 (V47), a 元/万元 slip A03 and a per-case amount far from its peers
//! A08 (V70), round-number heaping A07 (V71), a ratio far from the peers A08 (V72). The domain's
//! V53 (agreement with the unit's 政府信息公开年报 and 执法统计年报) needs reports the program does
//! not read and has no code.

pub mod explain;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use crate::diagnostic::Severity;

/// A finding code: one upper-case letter and two digits (`V25`). Orders as its text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code([u8; 3]);

impl Code {
    /// `Code::new(b'V', 25)` is `V25`. `number` must be below 100.
    pub const fn new(prefix: u8, number: u8) -> Code {
        Code([prefix, b'0' + number / 10 % 10, b'0' + number % 10])
    }

    /// Parses `V25`; anything else (lower case, three digits, other letters) is `None`.
    pub fn parse(text: &str) -> Option<Code> {
        match text.as_bytes() {
            &[p, a, b] if p.is_ascii_uppercase() && a.is_ascii_digit() && b.is_ascii_digit() => {
                Some(Code([p, a, b]))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        // Built only from ASCII by `new` and `parse`.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// The letter: `b'V'` for `V25`.
    pub fn prefix(self) -> u8 {
        self.0[0]
    }

    /// This code's entry in the table, when the program emits it itself.
    pub fn info(self) -> Option<&'static CodeInfo> {
        TABLE.iter().find(|c| c.code == self)
    }

    /// The default severity of a built-in code (`Error` for an unknown one, which the table
    /// test rules out for every code the program emits).
    pub fn severity(self) -> Severity {
        self.info().map_or(Severity::Error, |c| c.severity)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({})", self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let text = String::deserialize(d)?;
        Code::parse(&text.trim().to_ascii_uppercase())
            .ok_or_else(|| serde::de::Error::custom(format!("不是规则代码：{text}")))
    }
}

/// One built-in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: Code,
    pub severity: Severity,
    pub title: &'static str,
    pub help: &'static str,
    /// The module that emits it (each code has exactly one).
    pub owner: &'static str,
    /// A message template with `{X}` placeholders, for codes whose message a schema may
    /// override; `None` where the emitter composes the message itself.
    pub template: Option<&'static str>,
}

macro_rules! codes {
    ($( $name:ident = ($p:literal, $n:literal, $sev:ident, $owner:literal, $title:literal, $help:literal $(, $tpl:literal)?); )*) => {
        impl Code {
            $( pub const $name: Code = Code::new($p, $n); )*
        }
        /// Every built-in code, sorted by code.
        pub const TABLE: &[CodeInfo] = &[
            $( CodeInfo {
                code: Code::$name,
                severity: Severity::$sev,
                title: $title,
                help: $help,
                owner: $owner,
                template: codes!(@tpl $($tpl)?),
            }, )*
        ];
    };
    (@tpl) => { None };
    (@tpl $t:literal) => { Some($t) };
}

codes! {
    A01 = (b'A', 1, Warning, "anomaly::hb", "同比变化异常（HB趋势检验）",
        "按Hidiroglou–Berthelot方法，将本单位的同比变化与同类单位的中位变化比较，并按单位规模加权；超出排除区间（可疑度0.6）或更宽的插补区间（可疑度0.9）的单位中，按趋势调整后变化达到2倍（或减半）为警告，达到1.5倍为提示，变化更小的不列出。件数类本年、上年均小于20的以A02的结论为准。同类单位少于10个时不运行，改用A02/A11；只有1个单位的类别（县本级、法院）不做逐单位同比检验，其变化见A09。多数单位与上年相同时只比较有变化的单位。分项指标与其合计同向变化时并入合计的提示。结果给出本年数值的合理范围");
    A02 = (b'A', 2, Warning, "anomaly::poisson", "小数目同比变化显著（泊松检验）",
        "对件数类指标，按全县同比趋势检验本年数与上年数之差是否显著（条件泊松精确检验）；同时要求变化至少翻倍或减半。p<0.001为警告，p<0.01为提示。适用于含0的小数目");
    A03 = (b'A', 3, Warning, "anomaly::unit_error", "疑似单位错误（元/千元/万元）",
        "金额本年与上年相差约1000倍或10000倍，通常是把万元填成元或把元填成万元；给出按正确单位折算的建议值（不自动修改）。相差超过10^2.5倍但不接近这些倍数的，作为极端变化提示核实");
    A04 = (b'A', 4, Error, "anomaly::rate", "填报比率与分子分母不符",
        "单位填报的比率须与分子、分母相符（允许末位1个单位的舍入误差）；分子大于分母、分母大于0而比率空白为错误；比率按小数填写（0.857而非85.7%）或无案件却填写比率为警告");
    A05 = (b'A', 5, Warning, "anomaly::copy", "疑似照抄上年数据",
        "本年非零指标中至少80%与上年完全相同，且其中至少3项数值不小于10，疑似沿用上年报表");
    A06 = (b'A', 6, Error, "anomaly::copy", "两个单位填报数据完全相同",
        "两个不同单位同一年的全部非零指标（至少3项）完全相同，其中一份文件很可能报错");
    A07 = (b'A', 7, Info, "anomaly::heaping", "数字过于整齐（疑似估算）",
        "同一指标各单位、或同一单位各指标中，10的整倍数明显多于正常比例（二项检验p<0.001）；或金额为1000000、2000这类过于整齐的数，可能为估算数");
    A08 = (b'A', 8, Info, "anomaly::peer", "与同类单位相比明显偏离",
        "对件均金额、比率等与单位规模无关的指标，在同类单位（至少8个）中按对数尺度计算修正z分数（中位数/MAD），|z|>3.5为偏离");
    A09 = (b'A', 9, Info, "anomaly::county", "全县汇总数变化较大",
        "全县合计同比变化超过30%时（件数类还须超出随机波动，泊松检验p<0.01），列出变化最大的单位及其占全县变化量的比例，便于核实");
    A10 = (b'A', 10, Info, "anomaly::sigma_gap", "数值断层（sigma-gap）",
        "同类单位数值排序后，相邻数值之间的差距超过5倍（或10倍）稳健标准差，断层以外的单位为偏离（默认不运行）");
    A11 = (b'A', 11, Warning, "anomaly::ratio", "金额同比超出合理倍数",
        "金额（本年或上年不少于1万元）按全县趋势调整后，本年为上年的3倍以上或1/3以下；或由有到无、由无到有");
    A12 = (b'A', 12, Warning, "anomaly::rate_shift", "比率同比突变（分子变化而分母未变）",
        "百分比类比率（分子不大于分母，两年分母均不少于10）在logit尺度上的同比变化，与同类单位的中位变化比较，按二项分布的偶然波动或同类单位的离散程度（取较大者）衡量；偏离4倍以上、比率变化至少20个百分点且分母变化不到1.5倍为警告（很可能分子填错，如照抄了分母或填错了行），偏离3倍以上、变化至少10个百分点为提示。同类单位少于5个时不判断");
    N01 = (b'N', 1, Info, "ingest::value", "数值已规范化",
        "单元格内容经过规范化后才能读成数值，例如全角数字“１２”转为半角“12”、去除千位分隔符或计量单位。读取结果已采用，无需处理，今后请直接填写半角数字。");
    N02 = (b'N', 2, Error, "ingest::value", "数值超出合理范围",
        "填写的数大于任何实际单位可能达到的数（计数类默认不超过 1 亿，金额类默认不超过 1 万亿元，个别指标在指标体系中另有上限），多半是误填：18 位数像身份证号，以 1 开头的 11 位数像手机号，也可能是多打了零、用错了计量单位或粘贴了其他内容。该数不参与汇总，本单位数据暂不汇总；请改为实际数字后重新报送。");
    N03 = (b'N', 3, Warning, "ingest::locate", "单元格格式与指标不符",
        "数量或金额单元格的数字格式为百分比、日期或文本（@），Excel 显示的内容与程序读取的数值不同（例如填写 1 显示为“100%”），或者输入的数字被按文字保存、合计时不被计入。程序按单元格中实际保存的数值读取并给出本警告；Excel 已把内容存成日期的单元格不读取（另报 V01）。请选中该单元格，将格式设为“常规”或“数值”后重新填写。只检查 .xlsx/.xlsm 文件。");
    S01 = (b'S', 1, Error, "ingest::sniff", "不是可读取的工作簿",
        "文件不是 Excel 工作簿（.xlsx/.xlsm/.xls）或 OpenDocument 表格（.ods），或者文件已损坏、为空。常见原因：Word 文档、网页(HTML)导出文件、CSV 文本、下载不完整。请用 Excel 打开报表模板填写后另存为 .xlsx 重新报送。");
    S02 = (b'S', 2, Error, "ingest::sniff", "文件加密",
        "文件设有打开密码，程序无法读取。请在 Excel 中去除打开密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新报送。");
    S03 = (b'S', 3, Error, "ingest::locate", "缺少封面或封面字段",
        "找不到封面（工作表“封面”或含“单位代码”的工作表），或封面缺少某个字段、字段未填写。单位代码、单位名称、单位类型、统计年度缺失为错误，其余字段缺失为警告。请使用下发的模板，不要删除封面行。");
    S04 = (b'S', 4, Error, "ingest::locate", "找不到统计表",
        "没有任何工作表含有“代码”和“本年数”表头，无法定位指标数据。请使用下发的模板填报，不要删除或改写表头行。");
    S05 = (b'S', 5, Warning, "ingest::locate", "模板版本与指标体系不符",
        "封面的模板版本与本次使用的指标体系不一致，可能使用了往年模板。程序仍按指标代码读取，缺少的指标另行报出；请改用本年度模板。");
    S06 = (b'S', 6, Error, "ingest::locate", "指标行缺失",
        "该单位类型应填报的指标在统计表中找不到对应代码的行（行被删除或代码被改动）。请恢复该指标行后填报。");
    S07 = (b'S', 7, Error, "ingest::locate", "代码重复",
        "同一指标代码在统计表中出现了不止一次，程序采用第一次出现的行。请删除重复的行。");
    S08 = (b'S', 8, Warning, "ingest::locate", "未知代码",
        "代码列中出现了指标体系中没有的代码，该行未被读取。若是自行增加的行请删除；若是代码写错请改正。");
    S09 = (b'S', 9, Error, "ingest::sniff", "文件过大或结构异常",
        "文件超过读取上限（文件大小、解压后大小、压缩比、文件条目数或工作表行列数），为防止程序被拖垮而拒绝读取。正常的报表只有几十 KB，请检查是否误粘贴了大量内容，删除多余行列后重新保存。");
    S10 = (b'S', 10, Error, "validate::batch", "同一单位的多份文件无法判断哪份是最终版本",
        "同一单位代码出现在两份或更多内容不同的文件中，而程序无法判断哪一份是最终版本：文件名中没有可区分先后的版本标记（修改、更正、修订、第2版、v2、终稿、最终等），文档属性中的保存时间又缺失或相同，或者标记较新的文件保存时间反而早了一天以上。这些文件都暂不汇总。请在最终版本的文件名中加上“(修改)”或“终稿”，或只保留一份后重新运行。能判断先后的，较新的版本自动替代较早的（S14），不报本条。");
    S11 = (b'S', 11, Warning, "validate::batch", "名册中的单位未报送",
        "单位名册中当年应报的单位没有任何可读取的报表。全县数据不完整：请催报，或确认该单位已撤并并更新名册。只检查单个文件（如补报的一份报表）时不列出，检查整个收表文件夹时才列出。");
    S12 = (b'S', 12, Error, "ingest", "无法打开的文件或链接",
        "收表文件夹中的这一项不是可以打开的普通文件：指向已不存在文件的链接（快捷方式）、命名管道或设备文件、无法进入的文件夹，或没有读取权限。程序跳过了这一项，其余文件照常汇总。请把报表文件本身（而不是链接）放进收表文件夹，或检查文件权限后重新运行。");
    S13 = (b'S', 13, Info, "validate::batch", "相同文件重复提交",
        "这份文件与批次中另一份文件逐字节相同（SHA-256 一致），例如同一份报表发了两次，或放在了两个文件夹里。两份按一份报送处理：以排在前面的那份为准汇总和退回，这一份不再单独计算。无需处理；如想整理收表文件夹，可删除多余的副本。");
    S14 = (b'S', 14, Info, "validate::versions", "已被同一单位的新版本替代",
        "同一单位报送了内容不同的多份文件，程序按文件名中的版本标记（修改、更正、修订、第2版、v2、终稿、最终等，一份没有标记的算第一版）判断先后，标记相同时按工作簿文档属性中的保存时间（Excel、WPS、LibreOffice 保存时写入；不看文件的修改日期，下载附件会改变它）。较新的版本被采用，本文件已被替代：不汇总，也不退回。报送情况表列出各版本，版本变化表列出采用版本与上一版本不同的单元格。无需处理。");
    S15 = (b'S', 15, Error, "pipeline::prior", "上年数据中有两个版本都没有的指标代码",
        "上年数据（--prior 给出的 history.csv 或上年报表）中有记录的指标代码既不在上年所用的指标体系中，也不在本年的指标体系中，程序不知道它对应本年的哪一项，这些记录没有计入上年数，相关指标的同比可能缺少上年数。常见原因：history.csv 被手工改过代码；上年用的是另一版指标体系，而 history.csv 没有“指标体系”列（按本年的指标体系读取）。请核对该文件，或用 --schema 给出本年、--prior-schema 给出上年所用的指标体系（本年的指标体系须在 [previous] 中写明与上一版的对应关系），然后重新运行。");
    V01 = (b'V', 1, Error, "ingest::value", "数值格式与必填项",
        "检查内容：每个计数单元格为不小于0的整数，金额不小于0且最多2位小数，是/否项只填“是”或“否”，应填项没有空着。\n为什么：空白表示“未填”，与0不同；格式不对的数无法汇总。\n如何修改：按填报说明改成规范的数字；确实没有发生的填0，本单位不适用的填“不适用”。");
    V02 = (b'V', 2, Error, "ingest::value", "数值单元格含占位符或文字",
        "检查内容：数值单元格里出现 x、xx、×、＊ 等占位符或其他文字。\n为什么：占位符说明数据还没有核实，汇总时无法计算。\n如何修改：填写核实后的具体数字；文字说明请写在说明栏。");
    V03 = (b'V', 3, Warning, "ingest::value", "约数或带万/亿的数字",
        "检查内容：数值中含“余、逾、多、约、以上、近”或“万、亿”。\n为什么：约数无法准确汇总，也无法与上年比较；“万”字容易造成单位错误。\n如何修改：改填准确的整数（金额以元为单位）。");
    V04 = (b'V', 4, Error, "validate::identity", "封面信息与单位名册不符",
        "检查内容：封面的单位代码在本年度单位名册中存在，统计年度等于本次汇总年度，单位类型与名册一致。\n为什么：汇总按单位代码对应单位，封面错了数据会记到别的单位或被丢弃。\n如何修改：使用本单位下发的模板，不要改动封面的单位代码和单位类型；核对统计年度。");
    V05 = (b'V', 5, Warning, "ingest::locate", "统计截止日期不是年末",
        "检查内容：封面的统计截止日期为统计年度的12月31日。\n为什么：年度统计应覆盖全年，截止日期提前的数据会偏小。\n如何修改：补齐到12月31日的数据并改正截止日期；确有原因的在说明栏写明。");
    V06 = (b'V', 6, Warning, "validate::rules", "填报了不适用于本单位的指标",
        "检查内容：单位填了其类型不需要填报的指标（如乡镇填报政务服务事项总数、部门填报配备法律顾问的村数）。\n为什么：这类指标由其他单位统一填报，重复计入会使全县数偏大。\n如何修改：删除该数据；如果本单位确实承担了这项工作，请与县司法局联系确认口径。");
    V50 = (b'V', 50, Warning, "validate::cross_unit", "被申请复议案件合计与复议机关受理数不符",
        "检查内容：各乡镇(街道)、县直部门 FY08（本单位作为被申请人的复议案件数）之和，与县本级 FY03（受理件数）基本一致：相差超过受理数的10%且超过2件时提示核对。各单位合计只计本年度、名册内、可读取的报表；有应报单位未填报这一项时，合计偏小不提示（可能就是缺的那几个单位），偏大仍提示。\n为什么：以县直部门、乡镇为被申请人的复议案件都由县政府受理，两边口径应能对上。\n如何修改：县司法局核对受理台账中的被申请人；各单位核对本单位被申请的案件。",
        "各乡镇、部门填报的被申请复议案件数之和为{sum}件，县本级受理复议案件{total}件");
    V51 = (b'V', 51, Warning, "validate::cross_unit", "被纠错件数合计与复议纠错数不符",
        "检查内容：各乡镇(街道)、县直部门 FY09（被纠错件数）之和，与县本级 FY06C 至 FY06G（变更、撤销、确认违法、责令履行、确认无效）之和基本一致：相差超过后者的10%且超过2件时提示核对。各单位合计只计本年度、名册内、可读取的报表；有应报单位未填报这一项时，合计偏小不提示（可能就是缺的那几个单位），偏大仍提示。\n为什么：两者统计的是同一批被纠错的行政行为。\n如何修改：县司法局核对纠错决定的被申请人；各单位核对本单位被纠错的案件。",
        "各乡镇、部门填报的被纠错件数之和为{sum}件，县本级复议纠错（变更、撤销、确认违法、责令履行、确认无效）共{total}件");
    V52 = (b'V', 52, Info, "validate::cross_unit", "法院受理数与各单位应诉数差异较大",
        "检查内容：YS08（县法院受理一审行政案件数）与各单位 YS01（新收应诉案件）之和的比较，一方是另一方的2倍以上且相差5件以上时提示。各单位合计只计本年度、名册内、可读取的报表；有应报单位未填报这一项时，合计偏小不提示（可能就是缺的那几个单位），偏大仍提示。\n为什么：两者口径不同（法院数含垂直管理和市级机关为被告的案件，共同被告案件在各单位重复计数），只作提示。\n如何修改：不需修改；差异很大时可请县法院提供被告单位明细核对。",
        "县法院受理一审行政案件{total}件，各单位新收应诉案件之和为{sum}件");
    V67 = (b'V', 67, Warning, "validate::rules", "非公安机关填报了行政拘留",
        "检查内容：ZF06H（行政拘留）大于 0，而单位名称（以单位名册为准）中没有“公安”。\n为什么：行政拘留只能由公安机关决定，其他单位填了多半是归错了处罚种类。\n如何修改：改为对应的处罚种类；公安派出机构名称中不含“公安”的，在说明栏写明即可。",
        "填报了行政拘留{ZF06H}宗；行政拘留只能由公安机关作出");
    X01 = (b'X', 1, Error, "ingest", "程序内部错误，请报告",
        "读取这个文件时 huizong 程序自身出错（程序缺陷），不是报送单位填报的问题，请不要因此退回该单位。请把该文件和这条消息（含“内部信息”）一并报告给软件维护人员；在修复之前，可请单位用 Excel 打开后另存为 .xlsx 再试，或暂时手工录入该单位数据。");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let codes: Vec<Code> = TABLE.iter().map(|c| c.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn codes_parse_and_print() {
        assert_eq!(
            Code::parse("V25").map(|c| c.to_string()),
            Some("V25".into())
        );
        assert_eq!(Code::new(b'A', 11).as_str(), "A11");
        assert_eq!(Code::S10, "S10");
        for bad in ["v25", "V2", "V250", "25", "VV1", ""] {
            assert_eq!(Code::parse(bad), None, "{bad}");
        }
        assert!(Code::A01 < Code::N01 && Code::S11 < Code::V01 && Code::V67 < Code::X01);
        assert_eq!(
            serde_json::to_string(&Code::S10).ok().as_deref(),
            Some("\"S10\"")
        );
    }
}
