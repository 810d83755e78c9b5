//! The check and run jobs end to end, as library calls. The commands in `commands/` resolve
//! their arguments into a configuration (schema and registry loaded, paths and year checked)
//! and call [`check::check`] or [`run::run`]; a server calls the same functions in-process.
//! Dependencies point one way: `cli` → `commands` → `pipeline` → the steps (`ingest`,
//! `validate`, `aggregate`, `anomaly`, `report`).
//!
//! [`review`] records the reviewer's decisions on anomalies (`huizong accept` / `reject`).
//!
//! [`batch`] holds the steps both jobs share: finding the registry, reading the files in
//! parallel, validating the batch, building the long records and loading the prior year.

pub mod batch;
pub mod check;
pub mod dataset;
pub mod prior;
pub mod review;
pub mod rollup;
pub mod run;

pub use batch::{find_registry, LoadedRegistry, REGISTRY_FILE};
pub use check::{check, CheckConfig, CheckReport};
pub use review::{record_decision, DecisionRequest};
pub use rollup::{rollup, RollupConfig, RollupReport};
pub use run::{
    acceptances, load_acceptances, run, RunConfig, RunReport, FEEDBACK_DIR, HISTORY_FILE,
    HISTORY_PARQUET,
};

/// How a job ended, for the exit code: 0 = clean, 1 = error-level findings (outputs written).
/// Failures that stop a job are [`crate::Error`] (exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Findings,
}
