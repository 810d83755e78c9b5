//! Command-line interface: clap definitions (the doc comments are the `--help` text) and the
//! mapping from outcomes to exit codes (0 = clean, 1 = findings, 2 = could not run).

mod zh;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::commands;

/// huizong（汇总）：县级法治政府建设年度统计的下发模板、收表校验、汇总同比、异常排查与报告起草。
///
/// 典型流程：
///   huizong template --year 2024 --registry units.csv --out 模板/      下发填报模板
///   huizong check --year 2024 --registry units.csv 收表/                校验收回的报表
///   huizong run --year 2024 --registry units.csv 收表/ --prior 上年/ --out 汇总/
///   huizong accept 411321-T03 A02 --indicator ZF06 --reason "专项整治，案件增加属实"
///   huizong draft --year 2024 --from 汇总/ --out 报告数据段落.docx
///
/// 市、省汇总与开放数据集：
///   huizong rollup --year 2024 --registry 区县名册.csv 县A/汇总 县B/汇总 --out 市汇总/
///   huizong dataset add 汇总/ --into 数据集/
///
/// 网页（报送进度、上传即时校验、异常审核、下载）：
///   huizong serve --year 2024 --registry units.csv --inbox 收表/ --prior 上年/ --out 汇总/
///
/// 退出码：0 = 无错误；1 = 发现错误级问题（结果仍会写出）；2 = 无法运行（参数、指标体系、名册或输出有误）。
#[derive(Debug, Parser)]
#[command(name = "huizong", version, about, long_about, verbatim_doc_comment)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 为名册中当年应报的每个单位生成填报模板（封面、统计表、填报说明）
    Template(TemplateArgs),
    /// 生成一个可复现的示例县（名册 + 各年度已填报表，可植入典型错误）
    Sample(SampleArgs),
    /// 校验报表：逐条列出问题（文件!工作表!单元格: 代码 级别 消息）
    Check(CheckArgs),
    /// 汇总：校验、汇总全县指标与同比，写出汇总表、figures JSON、历史数据和退回清单
    Run(RunArgs),
    /// 审核确认一条异常提示（记为“已确认”），写入审核确认文件，供 run --accept 使用
    Accept(DecideArgs),
    /// 对一条异常提示不予认可（记为“不予认可”），理由作为审核意见写入该单位的退回清单
    Reject(DecideArgs),
    /// 解释一条校验规则（如 V25）；--all 列出全部规则
    Rule(RuleArgs),
    /// 根据汇总结果起草年度报告的数据段落（.docx 或 .md）
    Draft(DraftArgs),
    /// 市、省汇总：把各区县（或各市）的汇总输出再汇总一级，写出同样的汇总表、figures JSON 和历史数据
    Rollup(RollupArgs),
    /// 开放数据集：把一个县一个年度的汇总数据加入按年度、地区分区的 Parquet 数据集
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// 本机网页：在浏览器里看报送进度、逐单位问题、异常提示、汇总和下载，上传报表即时校验
    Serve(ServeArgs),
    /// 指标体系：比较两个版本（schema diff）
    #[command(subcommand)]
    Schema(SchemaCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// 统计年度
    #[arg(long)]
    pub year: i32,
    /// 单位名册（units.csv）；缺省在收表文件夹或其上级中找
    #[arg(long, value_name = "文件")]
    pub registry: Option<PathBuf>,
    /// 收表文件夹：已收的报表在这里，网页上传的报表也存到这里（按“单位代码_第N版”命名，不覆盖）
    #[arg(long, value_name = "文件夹")]
    pub inbox: PathBuf,
    /// 上年数据（上年报表文件夹或 history.csv），用于同比
    #[arg(long, value_name = "路径")]
    pub prior: Option<PathBuf>,
    /// 汇总输出文件夹（同 run --out），每次上传或审核后自动更新
    #[arg(long, value_name = "文件夹", default_value = "汇总")]
    pub out: PathBuf,
    /// 审核确认文件（同 accept/reject 的 --file），网页上的“已确认/不予认可”记在这里
    #[arg(long, value_name = "文件", default_value = "accept.toml")]
    pub accept: PathBuf,
    /// 监听地址；缺省只有本机能打开。0.0.0.0:端口 为局域网模式：各单位凭链接自助上传，审核人凭口令
    #[arg(long, value_name = "地址", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// 局域网模式下写进上传链接的地址，如 http://192.168.1.10:8080（缺省为本机的局域网地址）
    #[arg(long, value_name = "网址")]
    pub url: Option<String>,
    /// 局域网模式下“上传链接.csv”和“审核人口令.txt”的存放文件夹（缺省为输出文件夹的上级）
    #[arg(long, value_name = "文件夹")]
    pub links: Option<PathBuf>,
    /// 汇总使用的线程数（缺省每个核一个）
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub schema: SchemaArg,
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// 列出两个版本之间指标的变化（改代码、拆分、合并、改单位、新增、删除），即上年数如何换算为本年口径
    Diff(SchemaDiffArgs),
}

#[derive(Debug, Args)]
pub struct SchemaDiffArgs {
    /// 上一版指标体系：文件，或内置版本的 id（如 fazhi-2024）
    #[arg(value_name = "旧版")]
    pub old: PathBuf,
    /// 新版指标体系：文件，或内置版本的 id（如 fazhi-2025）；须在 [previous] 中写明旧版
    #[arg(value_name = "新版")]
    pub new: PathBuf,
}

/// Options shared by commands that read a schema.
#[derive(Debug, Args, Clone)]
pub struct SchemaArg {
    /// 指标体系文件（TOML），或内置版本的 id（fazhi-2024、fazhi-2025）；缺省使用内置的 fazhi-2024
    #[arg(long, value_name = "文件")]
    pub schema: Option<PathBuf>,
    /// 上一版指标体系文件：本版在 [previous] 中写明的上一版不是内置版本时给出，
    /// 用它读取按上一版填报的上年数据并换算为本版口径
    #[arg(long, value_name = "文件", verbatim_doc_comment)]
    pub prior_schema: Option<PathBuf>,
}

impl SchemaArg {
    /// The schema these options name, its previous edition resolved.
    pub fn load(&self) -> crate::Result<crate::schema::Schema> {
        crate::schema::Schema::load_with(self.schema.as_deref(), self.prior_schema.as_deref())
    }
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// 统计年度
    #[arg(long)]
    pub year: i32,
    /// 单位名册（units.csv）
    #[arg(long, value_name = "文件")]
    pub registry: PathBuf,
    /// 上年数据（上年报表文件夹或 history.csv），用于预填“上年数”；须为 --year 的上一年度，否则不生成（退出码 2）
    #[arg(long, value_name = "路径")]
    pub prior: Option<PathBuf>,
    /// 输出文件夹；须是新的或空的文件夹，不是空的则不生成（退出码 2），除非加 --force
    #[arg(long, value_name = "文件夹")]
    pub out: PathBuf,
    /// 输出文件夹不是空的时，用新模板替换 huizong 上次在其中写出的文件。
    /// 只替换本工具写出的文件：其中有别的文件（或写出后被改动过的文件）时照样不生成，什么也不删除。
    /// 例：huizong template --year 2025 --registry units.csv --out 模板/ --force
    #[arg(long, verbatim_doc_comment)]
    pub force: bool,
    #[command(flatten)]
    pub schema: SchemaArg,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// 输出文件夹（写出 units.csv 与 <年度>/*.xlsx）
    #[arg(long, value_name = "文件夹")]
    pub out: PathBuf,
    /// 单位数（缺省约 47：15 个乡镇、30 个部门、县本级、县法院）
    #[arg(long)]
    pub units: Option<usize>,
    /// 年度，逗号分隔
    #[arg(long, value_delimiter = ',', default_value = "2023,2024")]
    pub years: Vec<i32>,
    /// 随机种子（同一种子生成的文件逐字节相同）
    #[arg(long, default_value_t = 20241231)]
    pub seed: u64,
    /// 不植入典型错误，生成干净数据
    #[arg(long)]
    pub clean: bool,
    /// 县级行政区划代码（6 位数字，缺省 411321）：单位代码以它开头，不同代码生成不同的县，
    /// 用于演示和测试市级汇总（huizong rollup）
    #[arg(long, value_name = "代码", verbatim_doc_comment)]
    pub county: Option<String>,
    /// 只有最后一个年度按 --schema 的版本填报，之前的年度按它的上一版（[previous]）填报，
    /// 用于演示和测试指标体系换版（如 --schema fazhi-2025 --years 2025,2026）
    #[arg(long, verbatim_doc_comment)]
    pub prior_edition: bool,
    #[command(flatten)]
    pub schema: SchemaArg,
}

/// Output format of findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// 每个问题一行
    #[default]
    Concise,
    /// 每个问题多行，含单位与指标
    Full,
    /// 供其他程序读取的 JSON
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// 报表文件或文件夹（文件夹递归查找 .xlsx/.xlsm/.xls/.ods）。
    /// 只给单个文件（如 huizong check 收表/甲镇.xlsx）时不列出未报单位（S11），给出文件夹时才列出
    #[arg(required = true, value_name = "路径", verbatim_doc_comment)]
    pub paths: Vec<PathBuf>,
    /// 统计年度（缺省取封面上最多的年度）。没有一份可读报表的封面是这个年度时不校验（退出码 2），
    /// 并列出报表上的年度；个别报表年度不符时照常校验，报 V04
    #[arg(long, verbatim_doc_comment)]
    pub year: Option<i32>,
    /// 单位名册：核对单位代码、类型，并列出未报单位
    #[arg(long, value_name = "文件")]
    pub registry: Option<PathBuf>,
    /// 上年数据（上年报表文件夹或 history.csv）：启用跨期规则和逐单位异常检查。
    /// 须为上一年度：文件夹看封面上最多的年度，history.csv 须含上一年度，否则不校验（退出码 2）
    #[arg(long, value_name = "路径", verbatim_doc_comment)]
    pub prior: Option<PathBuf>,
    /// 输出格式
    #[arg(long, value_enum, default_value_t = Format::Concise)]
    pub format: Format,
    #[command(flatten)]
    pub schema: SchemaArg,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// 本年报表文件或文件夹
    #[arg(required = true, value_name = "路径")]
    pub paths: Vec<PathBuf>,
    /// 统计年度。没有一份可读报表的封面是这个年度时不汇总、不写出任何文件（退出码 2），
    /// 并列出报表上的年度；个别报表年度不符时照常汇总，这些报表报 V04 并退回
    #[arg(long, verbatim_doc_comment)]
    pub year: i32,
    /// 单位名册（缺省：报表所在文件夹或其上级中的 units.csv）
    #[arg(long, value_name = "文件")]
    pub registry: Option<PathBuf>,
    /// 上年数据：上年报表文件夹，或上次运行写出的 history.csv。
    /// 须为 --year 的上一年度：文件夹看封面上最多的年度，history.csv 须含上一年度（可含多个年度），
    /// 否则不汇总、不写出任何文件（退出码 2）
    #[arg(long, value_name = "路径", verbatim_doc_comment)]
    pub prior: Option<PathBuf>,
    /// 输出文件夹
    #[arg(long, value_name = "文件夹")]
    pub out: PathBuf,
    /// 审核确认文件（accept.toml，由 huizong accept / reject 写出）：已确认的异常标为“已确认”，
    /// 不予认可的标为“不予认可”并把审核意见写入该单位的退回清单
    #[arg(long, value_name = "文件", verbatim_doc_comment)]
    pub accept: Option<PathBuf>,
    /// 严格模式：有待核实事项的单位暂不汇总——校验警告未在“说明”栏写明原因，或异常提示（警告、错误级）
    /// 既未说明也未经审核确认、或审核不予认可。这些单位在报送情况中标为“暂缓汇总(待核实)”，并收到退回清单；
    /// 全县数只含已核实的数据。有单位暂缓时退出码为 1
    #[arg(long, verbatim_doc_comment)]
    pub strict: bool,
    /// 不显示进度
    #[arg(long)]
    pub quiet: bool,
    /// 线程数（缺省为 CPU 核数）
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub schema: SchemaArg,
}

/// `accept` and `reject`: one decision on one anomaly.
#[derive(Debug, Args)]
#[command(
    after_help = "同一单位、代码、指标、年度的记录只保留最新一条；文件格式见 docs/acceptance.md。"
)]
pub struct DecideArgs {
    /// 单位代码，如 411321-T03
    #[arg(value_name = "单位代码")]
    pub unit: String,
    /// 异常提示代码（A01–A12），如 A02；校验规则（S、V、N 开头）不能在这里确认
    #[arg(value_name = "代码")]
    pub code: String,
    /// 指标或比率代码，如 ZF06；针对整个单位的异常（A05、A06）不填
    #[arg(long, value_name = "代码")]
    pub indicator: Option<String>,
    /// 理由（必填，不少于6个字）：确认时写核实情况，不予认可时写审核意见（退回单位）
    #[arg(long, value_name = "文字")]
    pub reason: String,
    /// 审核人
    #[arg(long, value_name = "姓名")]
    pub by: Option<String>,
    /// 针对的数值：单位改动该数值后这条记录自动失效
    #[arg(long, value_name = "数值")]
    pub value: Option<f64>,
    /// 审核确认文件（不存在时新建）
    #[arg(long, value_name = "文件", default_value = "accept.toml")]
    pub file: PathBuf,
    /// 只适用于这个统计年度（缺省适用于任何年度）
    #[arg(long)]
    pub year: Option<i32>,
    /// 审核日期，如 2025-01-20
    #[arg(long, value_name = "日期")]
    pub date: Option<String>,
    #[command(flatten)]
    pub schema: SchemaArg,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// 规则代码，如 V25、S03
    pub code: Option<String>,
    /// 列出全部规则
    #[arg(long)]
    pub all: bool,
    /// 以 Markdown 输出全部规则的说明（docs/rules.md 由此生成）
    #[arg(long, conflicts_with = "all")]
    pub markdown: bool,
    #[command(flatten)]
    pub schema: SchemaArg,
}

#[derive(Debug, Args)]
pub struct DraftArgs {
    /// 统计年度
    #[arg(long)]
    pub year: i32,
    /// huizong run 的输出文件夹（读取其中的 figures_<年度>.json）
    #[arg(long, value_name = "文件夹")]
    pub from: PathBuf,
    /// 输出文件（.docx 或 .md）
    #[arg(long, value_name = "文件")]
    pub out: PathBuf,
    /// 自定义措辞模板文件夹（缺省使用内置模板）
    #[arg(long, value_name = "文件夹")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RollupArgs {
    /// 各区县 huizong run 的输出文件夹（省级汇总时为各市 huizong rollup 的输出文件夹）；
    /// 本级单位（市本级、中院）的报表直接给出文件
    #[arg(required = true, value_name = "路径", verbatim_doc_comment)]
    pub paths: Vec<PathBuf>,
    /// 统计年度；各输出须为这一年度，否则不汇总（退出码 2）
    #[arg(long)]
    pub year: i32,
    /// 汇总名册：与单位名册格式相同，列出各区县（kind 为 county；省级为 city），
    /// 本级报表单位为 city_office（省级为 province_office），中院为 external
    #[arg(long, value_name = "文件", verbatim_doc_comment)]
    pub registry: PathBuf,
    /// 上年汇总输出中的 history.csv：本级单位报表的上年数（各区县的上年数已在其输出中）
    #[arg(long, value_name = "文件")]
    pub prior: Option<PathBuf>,
    /// 输出文件夹
    #[arg(long, value_name = "文件夹")]
    pub out: PathBuf,
    /// 审核确认文件（accept.toml）：把已核实的异常标记为“已确认”
    #[arg(long, value_name = "文件")]
    pub accept: Option<PathBuf>,
    /// 线程数（缺省为 CPU 核数）
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub schema: SchemaArg,
}

#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// 把一个县的汇总输出（huizong run 的 --out 文件夹）加入数据集；同一县同一年度再次加入时替换
    Add(DatasetAddArgs),
}

#[derive(Debug, Args)]
pub struct DatasetAddArgs {
    /// huizong run 的输出文件夹
    #[arg(value_name = "文件夹")]
    pub from: PathBuf,
    /// 数据集文件夹（按 year=年度/region=区划代码 分区；不存在时新建）
    #[arg(long, value_name = "文件夹")]
    pub into: PathBuf,
}

pub use crate::pipeline::Outcome;

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    // A panic anywhere is a bug; it must not reach the user as a backtrace, but as exit 2.
    let result = std::panic::catch_unwind(|| run(cli));
    match result {
        Ok(Ok(Outcome::Clean)) => ExitCode::from(0),
        Ok(Ok(Outcome::Findings)) => ExitCode::from(1),
        // The reader of stdout went away (`| head`): it has what it wanted; no message.
        Ok(Err(crate::Error::StdoutClosed)) => ExitCode::from(0),
        // `let _ =`: a closed stderr must not turn the report of one failure into a panic.
        Ok(Err(e)) => {
            let _ = writeln!(std::io::stderr(), "错误：{e}");
            ExitCode::from(2)
        }
        Err(_) => {
            let _ = writeln!(
                std::io::stderr(),
                "错误：程序内部错误（这是 huizong 的缺陷，请报告）"
            );
            ExitCode::from(2)
        }
    }
}

/// Parses the command line with Chinese help and errors ([`zh`]); help and version are printed
/// here, and a parse error is exit 2.
fn parse() -> Result<Cli, ExitCode> {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cmd = zh::localize(Cli::command());
    let failed = |e: clap::Error| match zh::error_message(&e, &cmd, &args) {
        None => {
            let _ = e.print();
            ExitCode::from(e.exit_code().clamp(0, 255) as u8)
        }
        Some(msg) => {
            let _ = writeln!(std::io::stderr(), "{msg}");
            ExitCode::from(2)
        }
    };
    let matches = cmd.clone().try_get_matches_from(&args).map_err(failed)?;
    Cli::from_arg_matches(&matches).map_err(failed)
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> crate::Result<Outcome> {
    match cli.command {
        Command::Template(a) => commands::template::run(&a),
        Command::Sample(a) => commands::sample::run(&a),
        Command::Check(a) => commands::check::run(&a),
        Command::Run(a) => commands::run::run(&a),
        Command::Accept(a) => commands::decide::run(&a, crate::anomaly::Decision::Accept),
        Command::Reject(a) => commands::decide::run(&a, crate::anomaly::Decision::Reject),
        Command::Rule(a) => commands::rule::run(&a),
        Command::Draft(a) => commands::draft::run(&a),
        Command::Rollup(a) => commands::rollup::run(&a),
        Command::Dataset(DatasetCommand::Add(a)) => commands::dataset::add(&a),
        Command::Serve(a) => commands::serve::run(&a),
        Command::Schema(SchemaCommand::Diff(a)) => commands::schema::diff(&a),
    }
}
