//! Builders for the library's configuration types, shared by the test binaries: a field added to
//! `Schema`, `Indicator` or `Unit` is added here once. Tests override what they care about with
//! struct update syntax (`Schema { id: "x".into(), ..build::schema(inds, rates) }`).

use huizong::registry::{Unit, UnitKind};
use huizong::schema::{Aggregation, Expr, Indicator, Rate, Schema, ValueType};

/// A schema with these indicators and rates, no sections, rules or overrides.
pub fn schema(indicators: Vec<Indicator>, rates: Vec<Rate>) -> Schema {
    Schema {
        id: "test".into(),
        title: "测试".into(),
        edition: "2024".into(),
        template_version: "1".into(),
        sections: vec![],
        indicators,
        rates,
        rules: vec![],
        overrides: vec![],
        limits: Default::default(),
        index: Default::default(),
        mapping: None,
    }
}

/// An indicator in the section named by its first two letters, summed, with no parent.
pub fn indicator(
    code: &str,
    name: &str,
    unit: &str,
    value_type: ValueType,
    reporters: &[UnitKind],
) -> Indicator {
    Indicator {
        code: code.into(),
        name: name.into(),
        unit: unit.into(),
        value_type,
        section: code.get(..2).unwrap_or(code).into(),
        reporters: reporters.to_vec(),
        aggregation: Aggregation::Sum,
        parent: None,
        hint: None,
        max: None,
    }
}

/// A percentage rate `num / den` over single indicators.
pub fn rate(code: &str, name: &str, num: &str, den: &str, decimals: u8) -> Rate {
    Rate {
        code: code.into(),
        name: name.into(),
        numerator: Expr::Ident(num.into()),
        denominator: Expr::Ident(den.into()),
        numerator_text: num.into(),
        denominator_text: den.into(),
        decimals,
        unit: None,
        kinds: vec![],
    }
}

/// A registry unit active since 2000, no parent, predecessors or villages.
pub fn unit(code: &str, name: &str, kind: UnitKind) -> Unit {
    Unit {
        code: code.into(),
        name: name.into(),
        kind,
        parent: None,
        active_from: 2000,
        active_to: None,
        predecessors: vec![],
        villages: 0,
    }
}
