//! clap in Chinese: our users read no English, so the words clap adds itself (Usage, Options,
//! Arguments, Commands, [default: …], [possible values: …], Print help, and every parse error)
//! are replaced here, once, for every command the derive definitions in [`super`] produce.
//!
//! clap's derive output is post-processed ([`localize`]) rather than annotated by hand, so a new
//! subcommand is Chinese without anyone remembering to: headings become 命令 / 参数 / 选项, the
//! usage line is ours ([`usage`]), defaults and possible values move into the help text, `-h` /
//! `-V` get Chinese help, and [`EXAMPLES`] adds each subcommand's examples (a test fails when a
//! subcommand has none). Parse errors are rendered by [`error_message`] from clap's error
//! context (`clap::error::ContextKind`), not from its English text.

use clap::builder::PossibleValue;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// The help layout: our headings, no English words.
const TEMPLATE: &str = "{before-help}{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

/// Examples shown under each subcommand's help, by subcommand name.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "template",
        "huizong template --year 2024 --registry units.csv --out 模板/\n  \
         huizong template --year 2025 --registry units.csv --prior 汇总2024/history.csv --out 模板2025/",
    ),
    (
        "sample",
        "huizong sample --out 示例县/\n  huizong sample --out 干净/ --clean\n  \
         huizong sample --out 大县/ --units 10000\n  \
         huizong sample --out 乙县/ --county 411322 --clean\n  \
         huizong sample --out 换版县/ --schema fazhi-2025 --years 2025,2026 --prior-edition --clean",
    ),
    (
        "check",
        "huizong check 收表/\n  huizong check 收表/ --prior 上年收表/ --format full\n  \
         huizong check 收表/城关镇_2024(修改).xlsx",
    ),
    (
        "run",
        "huizong run 收表/ --year 2024 --prior 上年收表/ --out 汇总/\n  \
         huizong run 收表/ --year 2024 --prior 汇总2023/history.csv --out 汇总/ --accept accept.toml",
    ),
    (
        "accept",
        "huizong accept 411321-T03 A02 --indicator ZF06 --reason \"2024年开展专项整治，案件增加属实\" --by 张三\n  \
         huizong run 收表/ --year 2024 --out 汇总/ --accept accept.toml",
    ),
    (
        "reject",
        "huizong reject 411321-D05 A03 --indicator ZF07 --reason \"罚没台账为64万元，请按元填报\"\n  \
         huizong run 收表/ --year 2024 --out 汇总/ --accept accept.toml",
    ),
    (
        "rule",
        "huizong rule V25\n  huizong rule --all\n  huizong rule --markdown > rules.md",
    ),
    (
        "draft",
        "huizong draft --year 2024 --from 汇总/ --out 报告数据段落.docx\n  \
         huizong draft --year 2024 --from 汇总/ --out 报告数据段落.md",
    ),
    (
        "rollup",
        "huizong rollup --year 2024 --registry 区县名册.csv 县A/汇总 县B/汇总 --out 市汇总/\n  \
         huizong rollup --year 2024 --registry 区县名册.csv 县A/汇总 县B/汇总 市本级.xlsx --out 市汇总/\n  \
         huizong rollup --year 2024 --registry 市州名册.csv 甲市/市汇总 乙市/市汇总 --out 省汇总/",
    ),
    (
        "dataset",
        "huizong dataset add 汇总/ --into 数据集/",
    ),
    (
        "serve",
        "huizong serve --year 2024 --registry units.csv --inbox 收表/ --prior 上年收表/ --out 汇总/\n  \
         huizong serve --year 2024 --inbox 收表/ --out 汇总/ --listen 0.0.0.0:8080 --url http://192.168.1.10:8080",
    ),
    (
        "schema",
        "huizong schema diff fazhi-2024 fazhi-2025\n  huizong schema diff fazhi-2024 我省2025版.toml",
    ),
    (
        "diff",
        "huizong schema diff fazhi-2024 fazhi-2025\n  huizong schema diff 旧版.toml 新版.toml",
    ),
    (
        "add",
        "huizong dataset add 汇总/ --into 数据集/\n  huizong dataset add 县B/汇总 --into 数据集/",
    ),
];

/// The examples of a subcommand, if any.
pub fn examples(name: &str) -> Option<&'static str> {
    EXAMPLES.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

/// Chinese value names for clap's defaults (the upper-cased field name).
const VALUE_NAMES: &[(&str, &str)] = &[
    ("YEAR", "年度"),
    ("THREADS", "线程数"),
    ("UNITS", "单位数"),
    ("SEED", "种子"),
    ("FORMAT", "格式"),
    ("CODE", "代码"),
    ("YEARS", "年度"),
];

/// The whole command tree with Chinese help and usage.
pub fn localize(cmd: Command) -> Command {
    let path = cmd.get_name().to_string();
    localize_at(cmd, &path, true)
}

fn localize_at(cmd: Command, path: &str, root: bool) -> Command {
    let mut cmd = cmd
        .help_template(TEMPLATE)
        .disable_help_flag(true)
        .disable_help_subcommand(true)
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .mut_args(localize_arg)
        .mut_args(positional_order())
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助")
                .help_heading("选项"),
        );
    if root {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本")
                .help_heading("选项"),
        );
    }
    if let Some(ex) = examples(cmd.get_name()).filter(|_| !root) {
        // A command's own closing words (its after_help) follow the examples.
        let own = cmd
            .get_after_help()
            .map(|h| format!("\n\n{h}"))
            .unwrap_or_default();
        cmd = cmd.after_help(format!("示例：\n  {ex}{own}"));
    }
    let usage = usage(&cmd, path);
    cmd = cmd.override_usage(usage);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let sub_path = format!("{path} {name}");
        cmd = cmd.mut_subcommand(&name, |s| localize_at(s, &sub_path, false));
    }
    cmd
}

/// Keeps positional arguments in the order they are given on the command line: under a
/// custom heading clap sorts arguments by name otherwise.
fn positional_order() -> impl FnMut(Arg) -> Arg {
    let mut next = 0;
    move |arg: Arg| {
        if arg.is_positional() {
            next += 1;
            arg.display_order(next)
        } else {
            arg
        }
    }
}

/// An argument with a Chinese heading, value name, default and possible values in its help.
fn localize_arg(arg: Arg) -> Arg {
    let heading = if arg.is_positional() {
        "参数"
    } else {
        "选项"
    };
    let mut arg = arg.help_heading(heading);
    if let Some(names) = arg.get_value_names() {
        let mapped: Vec<clap::builder::Str> = names
            .iter()
            .map(|n| {
                VALUE_NAMES
                    .iter()
                    .find(|(en, _)| *en == n.as_str())
                    .map_or_else(|| n.clone(), |(_, zh)| (*zh).into())
            })
            .collect();
        arg = arg.value_names(mapped);
    } else if arg.get_action().takes_values() && !arg.is_positional() {
        let id = arg.get_id().as_str().to_ascii_uppercase();
        if let Some((_, zh)) = VALUE_NAMES.iter().find(|(en, _)| *en == id) {
            arg = arg.value_name(*zh);
        }
    }
    let mut extra: Vec<String> = Vec::new();
    let values: Vec<PossibleValue> = arg.get_possible_values();
    let takes = arg.get_action().takes_values();
    if takes && !values.is_empty() {
        let shown: Vec<String> = values
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| match v.get_help() {
                Some(h) => format!("{}（{h}）", v.get_name()),
                None => v.get_name().to_string(),
            })
            .collect();
        extra.push(format!("可选：{}", shown.join("、")));
        arg = arg.hide_possible_values(true);
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    if takes && !defaults.is_empty() {
        extra.push(format!("缺省：{}", defaults.join(",")));
        arg = arg.hide_default_value(true);
    }
    if extra.is_empty() {
        return arg;
    }
    let add = format!("（{}）", extra.join("；"));
    let short = arg.get_help().map(|h| format!("{h}{add}"));
    let long = arg.get_long_help().map(|h| format!("{h}\n{add}"));
    if let Some(h) = short {
        arg = arg.help(h);
    }
    if let Some(h) = long {
        arg = arg.long_help(h);
    }
    arg
}

/// `huizong run [选项] --year <年度> --out <文件夹> <路径>...`, or `huizong <命令>` for a command
/// with subcommands.
fn usage(cmd: &Command, path: &str) -> String {
    if cmd.has_subcommands() {
        return format!("{path} <命令>");
    }
    let mut out = format!("{path} [选项]");
    for a in cmd.get_arguments().filter(|a| !a.is_positional()) {
        if !a.is_required_set() {
            continue;
        }
        let long = a.get_long().map_or_else(String::new, |l| format!(" --{l}"));
        out.push_str(&long);
        if a.get_action().takes_values() {
            out.push_str(&format!(" <{}>", value_name(a)));
        }
    }
    for a in cmd.get_positionals() {
        let many = matches!(a.get_action(), ArgAction::Append)
            || a.get_num_args().is_some_and(|n| n.max_values() > 1);
        let name = format!("<{}>{}", value_name(a), if many { "..." } else { "" });
        if a.is_required_set() {
            out.push_str(&format!(" {name}"));
        } else {
            out.push_str(&format!(" [{name}]"));
        }
    }
    out
}

fn value_name(a: &Arg) -> String {
    a.get_value_names()
        .and_then(|n| n.first())
        .map_or_else(|| a.get_id().to_string(), |n| n.to_string())
}

/// The Chinese message for a parse error, with the usage line and where to find help. `None`
/// for the errors that are help or version output (printed by clap as they are).
pub fn error_message(e: &clap::Error, root: &Command, args: &[String]) -> Option<String> {
    let get = |k: ContextKind| e.get(k).map(show);
    let arg = get(ContextKind::InvalidArg).unwrap_or_default();
    let value = get(ContextKind::InvalidValue).unwrap_or_default();
    let mut msg = match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        ErrorKind::MissingSubcommand => "缺少子命令".to_string(),
        ErrorKind::InvalidSubcommand => {
            let name = get(ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("没有“{name}”这个子命令")
        }
        ErrorKind::UnknownArgument => format!("不认识的选项或参数“{arg}”"),
        ErrorKind::MissingRequiredArgument => format!("缺少必需的选项或参数：{arg}"),
        ErrorKind::InvalidValue => {
            let valid = get(ContextKind::ValidValue)
                .map(|v| format!("，可选：{v}"))
                .unwrap_or_default();
            if value.is_empty() {
                format!("{arg} 需要一个值{valid}")
            } else {
                format!("{arg} 的值“{value}”无效{valid}")
            }
        }
        ErrorKind::ValueValidation => {
            format!("{arg} 的值“{value}”无法识别（例如年度应为 2024 这样的整数）")
        }
        ErrorKind::ArgumentConflict => {
            let prior = get(ContextKind::PriorArg).unwrap_or_default();
            format!("{arg} 不能与 {prior} 同时使用")
        }
        ErrorKind::TooManyValues => format!("{arg} 给了多余的值“{value}”"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("{arg} 的值个数不对")
        }
        ErrorKind::NoEquals => format!("{arg} 的值须用“=”连接"),
        ErrorKind::InvalidUtf8 => "命令行中有无法识别的字符（不是 UTF-8）".to_string(),
        _ => "命令行有误".to_string(),
    };
    let suggestion = get(ContextKind::SuggestedSubcommand)
        .or_else(|| get(ContextKind::SuggestedArg))
        .or_else(|| get(ContextKind::SuggestedValue));
    if let Some(s) = suggestion {
        msg.push_str(&format!("。是否想用“{s}”？"));
    } else {
        msg.push('。');
    }
    let sub = args.get(1).filter(|a| root.find_subcommand(a).is_some());
    let help = match sub {
        Some(s) => {
            let usage = root
                .find_subcommand(s)
                .and_then(|c| c.get_overridden_usage().map(|u| u.to_string()))
                .unwrap_or_default();
            format!("\n用法：{usage}\n用 huizong {s} --help 查看说明和示例")
        }
        None => "\n用法：huizong <命令>\n用 huizong --help 查看全部命令".to_string(),
    };
    Some(format!("错误：{msg}{help}"))
}

fn show(v: &ContextValue) -> String {
    match v {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join("、"),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("、"),
        ContextValue::Number(n) => n.to_string(),
        ContextValue::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn help(args: &[&str]) -> String {
        let cmd = localize(super::super::Cli::command());
        match cmd.try_get_matches_from(args) {
            Err(e) if e.kind() == ErrorKind::DisplayHelp => e.render().to_string(),
            other => panic!("not help: {other:?}"),
        }
    }

    #[test]
    fn every_subcommand_has_examples() {
        let cmd = super::super::Cli::command();
        for sub in cmd.get_subcommands() {
            assert!(
                examples(sub.get_name()).is_some(),
                "{} has no examples",
                sub.get_name()
            );
        }
    }

    #[test]
    fn help_has_no_english_words_of_clap() {
        let mut pages = vec![help(&["huizong", "--help"])];
        let cmd = super::super::Cli::command();
        for sub in cmd.get_subcommands() {
            pages.push(help(&["huizong", sub.get_name(), "--help"]));
            pages.push(help(&["huizong", sub.get_name(), "-h"]));
        }
        for page in &pages {
            for word in [
                "Usage",
                "Options",
                "Arguments",
                "Commands",
                "Print",
                "default:",
                "possible values",
                "[OPTIONS]",
                "<COMMAND>",
                "<YEAR>",
            ] {
                assert!(!page.contains(word), "{word} in:\n{page}");
            }
            assert!(page.contains("用法：huizong"), "{page}");
        }
        let accept = help(&["huizong", "accept", "--help"]);
        let (unit, code) = (accept.find("<单位代码>  "), accept.find("<代码>  "));
        assert!(unit < code, "positionals in command-line order:\n{accept}");
        let run = help(&["huizong", "run", "--help"]);
        assert!(
            run.contains("用法：huizong run [选项] --year <年度> --out <文件夹> <路径>..."),
            "{run}"
        );
        assert!(run.contains("示例：\n  huizong run 收表/"), "{run}");
        let check = help(&["huizong", "check", "--help"]);
        assert!(check.contains("可选：concise（每个问题一行）"), "{check}");
        assert!(check.contains("缺省：concise"), "{check}");
    }

    #[test]
    fn parse_errors_are_chinese() {
        let cmd = localize(super::super::Cli::command());
        let err = |args: &[&str]| {
            let e = cmd
                .clone()
                .try_get_matches_from(args)
                .expect_err("an error");
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            error_message(&e, &cmd, &args).expect("a message")
        };
        let m = err(&["huizong", "rnu"]);
        assert!(m.starts_with("错误：没有“rnu”这个子命令。是否想用“"), "{m}");
        assert!(m.ends_with("用 huizong --help 查看全部命令"), "{m}");
        let m = err(&["huizong", "run", "--bogus"]);
        assert!(m.starts_with("错误：不认识的选项或参数“--bogus”"), "{m}");
        let m = err(&["huizong", "run", "x"]);
        assert!(m.contains("缺少必需的选项或参数"), "{m}");
        let m = err(&["huizong", "run", "x", "--out", "o", "--year", "二〇二四"]);
        assert!(m.contains("--year <年度> 的值“二〇二四”无法识别"), "{m}");
        let m = err(&["huizong", "check", "x", "--format", "xml"]);
        assert!(
            m.contains("的值“xml”无效，可选：concise、full、json"),
            "{m}"
        );
        assert!(!m.contains("error:") && !m.contains("Usage"), "{m}");
    }
}
