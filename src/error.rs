//! Tool failures: things that stop a command (exit code 2). Problems found *in* submissions are
//! [`crate::diagnostic::Diagnostic`]s, never errors.

use std::path::PathBuf;

/// A failure that prevents a command from doing its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("无法读取文件 {}：{}", .path.display(), io_text(.source))]
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
    /// Shorthand for a write failure from any displayable cause; a file-system error is said in
    /// Chinese ([`io_text`]).
    pub fn write(path: impl Into<PathBuf>, cause: impl std::fmt::Display + 'static) -> Self {
        let any: &dyn std::any::Any = &cause;
        let message = match any.downcast_ref::<std::io::Error>() {
            Some(e) => io_text(e),
            None => cause.to_string(),
        };
        Error::Write {
            path: path.into(),
            message,
        }
    }
}

/// A file-system error in the user's words, by kind (the same on Windows and Linux); the
/// system's own text stays in brackets for the kinds without a Chinese name.
pub fn io_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let text = match e.kind() {
        K::PermissionDenied => "没有权限（请检查该文件夹的写入权限，或换一个文件夹）",
        K::NotFound => "文件或文件夹不存在",
        K::AlreadyExists => "已有同名的文件或文件夹",
        K::NotADirectory => "路径中有一段是文件，不是文件夹",
        K::IsADirectory => "这是一个文件夹，不是文件",
        K::DirectoryNotEmpty => "文件夹不是空的",
        K::StorageFull => "磁盘空间已满",
        K::ReadOnlyFilesystem => "磁盘或文件夹是只读的",
        K::InvalidFilename => "文件名过长或含有不允许的字符",
        K::CrossesDevices => "不能跨磁盘移动",
        K::ResourceBusy => "文件正被其他程序使用（如在 Excel 或 WPS 中打开），请关闭后重试",
        K::UnexpectedEof => "文件不完整（可能未下载或复制完整）",
        _ => return format!("系统错误（{e}）"),
    };
    text.to_string()
}
