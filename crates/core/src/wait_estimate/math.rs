//! The little numerics the estimator needs, written out because the core has no dependencies
//! for them: a seeded generator, the normal CDF and its inverse, and lognormal quantile tables.

/// SplitMix64: tiny, fast, and good enough for Monte-Carlo; seeded so that the same line gives
/// the same estimates every time (a board must not flicker between recomputations).
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1), never exactly 0 or 1.
    pub(super) fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// Standard normal CDF through erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
pub(super) fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
pub(super) fn norm_inv(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let p = p.clamp(1e-15, 1.0 - 1e-15);
    let low = 0.024_25;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// How many equally likely values stand for a service-time distribution in the simulation.
/// Drawing is then one table look-up instead of a logarithm and an exponential, which is what
/// makes a thousand simulated days of an 80-ticket line cost well under a millisecond.
pub(super) const TABLE: usize = 128;

/// A lognormal service time: `ln(minutes) ~ N(mu, sigma²)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    pub mu: f64,
    pub sigma: f64,
}

impl LogNormal {
    /// The median, `exp(mu)`.
    pub fn median(&self) -> f64 {
        self.mu.exp()
    }

    /// The mean, `exp(mu + sigma²/2)`.
    pub fn mean(&self) -> f64 {
        (self.mu + self.sigma * self.sigma / 2.0).exp()
    }

    /// The values at the mid-points of `TABLE` equal-probability strata, ascending.
    pub(super) fn table(&self) -> [f64; TABLE] {
        let mut t = [0.0; TABLE];
        for (i, v) in t.iter_mut().enumerate() {
            *v = (self.mu + self.sigma * norm_inv((i as f64 + 0.5) / TABLE as f64)).exp();
        }
        t
    }

    /// A draw of the time still to go for a service already `elapsed` minutes long: the
    /// lognormal conditioned on exceeding `elapsed`, minus `elapsed` (inverse-CDF sampling
    /// on the upper tail). A service far past its usual length keeps a small remainder.
    pub(super) fn remaining(&self, elapsed: f64, rng: &mut Rng) -> f64 {
        if elapsed <= 0.0 {
            return (self.mu + self.sigma * norm_inv(rng.unit())).exp();
        }
        let p = norm_cdf((elapsed.ln() - self.mu) / self.sigma.max(1e-6));
        let u = (p + (1.0 - p) * rng.unit()).min(1.0 - 1e-12);
        let total = (self.mu + self.sigma * norm_inv(u)).exp();
        (total - elapsed).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_and_inverse_agree() {
        for p in [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999] {
            let x = norm_inv(p);
            assert!((norm_cdf(x) - p).abs() < 1e-6, "p={p} x={x} cdf={}", norm_cdf(x));
        }
        assert!((norm_inv(0.975) - 1.959_964).abs() < 1e-5);
    }

    #[test]
    fn the_table_has_the_lognormal_median_and_mean() {
        let d = LogNormal { mu: 12f64.ln(), sigma: 0.4 };
        let t = d.table();
        let mean = t.iter().sum::<f64>() / TABLE as f64;
        assert!((t[TABLE / 2 - 1] + t[TABLE / 2]) / 2.0 - 12.0 < 0.1);
        assert!((mean - d.mean()).abs() / d.mean() < 0.01, "{mean} vs {}", d.mean());
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn remaining_time_is_the_conditional_tail() {
        let d = LogNormal { mu: 10f64.ln(), sigma: 0.3 };
        let mut rng = Rng::new(7);
        let n = 20_000;
        // Just started: the whole distribution (mean ≈ 10.46).
        let fresh = (0..n).map(|_| d.remaining(0.0, &mut rng)).sum::<f64>() / n as f64;
        assert!((fresh - d.mean()).abs() < 0.2, "{fresh}");
        // At 10 minutes (the median) the remainder is the upper half's excess: smaller than the
        // full mean, still well above zero.
        let half = (0..n).map(|_| d.remaining(10.0, &mut rng)).sum::<f64>() / n as f64;
        assert!(half > 1.5 && half < 5.0, "{half}");
        // Far past any usual length: a small, finite remainder.
        let late = d.remaining(60.0, &mut rng);
        assert!((0.0..10.0).contains(&late), "{late}");
    }
}
