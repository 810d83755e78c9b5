//! Validation: every rule of the schema on each submission, the cross-period rules against the
//! prior year, and the batch checks (unknown unit, two files for one unit, missing units).

use crate::ingest::FileOutcome;
use crate::registry::Registry;
use crate::schema::Schema;

/// Prior-year values of one unit (already mapped through the registry's predecessors).
pub type PriorValues = std::collections::BTreeMap<String, f64>;

/// Checks one read submission against the schema (and prior year when given). Findings are
/// appended to `outcome.diagnostics`.
pub fn check_file(
    _outcome: &mut FileOutcome,
    _schema: &Schema,
    _registry: Option<&Registry>,
    _year: Option<i32>,
    _prior: Option<&PriorValues>,
) {
    todo!("validate file")
}
