//! Handing a county total out to units (Σ FY08 = the county office's FY03, Σ YS01 close to the
//! court's YS08, GF01 to the issuing departments): highest-averages (D'Hondt) over weights, so big
//! units get most and small ones often get nothing, with caps that keep each unit's year-on-year
//! change below V45's trigger.

use std::collections::BTreeMap;

/// One candidate: registry index, weight, soft cap (V45) and hard cap (a subset bound).
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub index: usize,
    pub weight: f64,
    pub soft_cap: f64,
    pub hard_cap: f64,
}

/// The largest value a unit may reach from `prev` without V45 firing (+200 % and Δ ≥ 10).
pub fn v45_cap(prev: Option<f64>) -> f64 {
    match prev {
        Some(p) => (p + 9.0).max(3.0 * p),
        None => 9.0,
    }
}

/// Distributes `total` whole units; the soft caps are dropped only when they cannot hold it.
pub fn allocate(total: f64, items: &[Candidate]) -> BTreeMap<usize, f64> {
    let mut got = vec![0.0f64; items.len()];
    let mut left = total.max(0.0).round() as u64;
    for soft in [true, false] {
        while left > 0 {
            let mut best: Option<(usize, f64)> = None;
            for (i, c) in items.iter().enumerate() {
                let cap = if soft {
                    c.soft_cap.min(c.hard_cap)
                } else {
                    c.hard_cap
                };
                if got[i] + 1.0 > cap || c.weight <= 0.0 {
                    continue;
                }
                let q = c.weight / (got[i] + 1.0);
                if best.is_none_or(|(_, bq)| q > bq) {
                    best = Some((i, q));
                }
            }
            let Some((i, _)) = best else { break };
            got[i] += 1.0;
            left -= 1;
        }
    }
    items
        .iter()
        .zip(got)
        .filter(|(_, g)| *g > 0.0)
        .map(|(c, g)| (c.index, g))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(index: usize, weight: f64, soft_cap: f64) -> Candidate {
        Candidate {
            index,
            weight,
            soft_cap,
            hard_cap: f64::INFINITY,
        }
    }

    #[test]
    fn proportional_and_exact() {
        let a = allocate(
            10.0,
            &[cand(0, 3.0, 99.0), cand(1, 1.0, 99.0), cand(2, 1.0, 99.0)],
        );
        assert_eq!(a.values().sum::<f64>(), 10.0);
        assert_eq!(a.get(&0), Some(&6.0));
    }

    #[test]
    fn caps_hold_and_soften_only_when_needed() {
        let a = allocate(10.0, &[cand(0, 5.0, 4.0), cand(1, 1.0, 9.0)]);
        assert_eq!((a.get(&0), a.get(&1)), (Some(&4.0), Some(&6.0)));
        let b = allocate(20.0, &[cand(0, 1.0, 4.0), cand(1, 1.0, 9.0)]);
        assert_eq!(b.values().sum::<f64>(), 20.0);
        assert_eq!(v45_cap(Some(5.0)), 15.0);
        assert_eq!(v45_cap(Some(2.0)), 11.0);
    }
}
