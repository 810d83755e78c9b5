//! Tool failures: things that stop a command (exit code 2). Problems found *in* submissions are
//! [`crate::diagnostic::Diagnostic`]s, never errors.

use std::path::PathBuf;

/// A failure that prevents a command from doing its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("无法读取文件 {}：{source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("无法写入 {}：{message}", .path.display())]
    Write { path: PathBuf, message: String },
    /// A schema file that does not load; `line`/`col` are 1-based (0 when unknown).
    #[error("指标体系文件 {} 第 {line} 行第 {col} 列：{message}", .path.display())]
    Schema {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    /// A unit registry that does not load; `row` is the 1-based line in the file (0 when unknown).
    #[error("单位名册 {} 第 {row} 行：{message}", .path.display())]
    Registry {
        path: PathBuf,
        row: usize,
        message: String,
    },
    /// Bad command-line usage that clap cannot catch.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
    /// Stdout was closed by its reader (`| head`): the command ends quietly with exit 0
    /// (`crate::console`).
    #[error("标准输出已关闭")]
    StdoutClosed,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for a write failure from any displayable cause.
    pub fn write(path: impl Into<PathBuf>, cause: impl std::fmt::Display) -> Self {
        Error::Write {
            path: path.into(),
            message: cause.to_string(),
        }
    }
}
