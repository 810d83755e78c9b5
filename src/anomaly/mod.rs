//! Anomaly spotting: the plausible-looking but costly mistakes that rules cannot catch (unit slips,
//! copied years, implausible year-on-year jumps, outliers among peers), ranked for review.
