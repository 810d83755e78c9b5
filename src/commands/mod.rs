//! One module per subcommand: each turns parsed arguments into calls on the library.

pub mod check;
pub mod dataset;
pub mod decide;
pub mod draft;
pub mod rollup;
pub mod rule;
pub mod run;
pub mod sample;
pub mod schema;
pub mod serve;
pub mod template;
