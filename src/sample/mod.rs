//! A deterministic, realistic sample county: registry plus filled submissions for several years,
//! carrying the seed figures, with optional planted defects (documented in sample-data/README.md).
