"""Reference values for the sweep-analysis tests (Tests/SweepKitTests/Analysis).

How to run (from the package root; needs SciPy, NumPy and mpmath):

    python3 tools/analysis_reference.py

It writes Tests/SweepKitTests/Analysis/ReferenceValues/student_t.json (in about ten seconds):
Student's t cumulative probabilities, upper tails and quantiles, each twice: from scipy.stats.t
(`cdf`, `sf`, `t`), and from mpmath at 40 significant digits (`cdf_exact`, `sf_exact`, `t_exact`;
the incomplete beta function by its hypergeometric series, or quadrature of the density where
the series stalls), rounded to the nearest double. SciPy's own values are off by up to about
1e-11 in places (t(1).cdf(1e-6) is 0.5000003183240348; the Cauchy distribution's
0.5 + atan(1e-6)/π is 0.5000003183098862), so the Swift tests hold the implementation to the
mpmath values tightly and to SciPy's within 1e-10.
CI never runs this; the JSON is committed.
"""

import json
from pathlib import Path

import mpmath
import numpy
import scipy
from scipy import stats

mpmath.mp.dps = 40


def density(nu: mpmath.mpf, u: mpmath.mpf) -> mpmath.mpf:
    """Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + u²/ν)^(−(ν+1)/2)."""
    log_normaliser = mpmath.loggamma((nu + 1) / 2) - mpmath.loggamma(nu / 2) - mpmath.log(nu * mpmath.pi) / 2
    return mpmath.exp(log_normaliser - (nu + 1) / 2 * mpmath.log1p(u * u / nu))


def upper_tail(df: float, t: float) -> mpmath.mpf:
    """P(T > t) for t ≥ 0 at 40 digits: ½·I_{ν/(ν+t²)}(ν/2, ½) (Abramowitz & Stegun 26.7.1) by
    mpmath's hypergeometric betainc, on the side of the symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
    where its series converges fast; where mpmath still gives up (ν large, t moderate), by
    quadrature of the density, which is reliable away from the far tails."""
    nu, t = mpmath.mpf(df), mpmath.mpf(t)
    if t == 0:
        return mpmath.mpf(1) / 2
    a, b, x = nu / 2, mpmath.mpf(1) / 2, nu / (nu + t * t)
    try:
        if x <= (a + 1) / (a + b + 2):
            return mpmath.betainc(a, b, 0, x, regularized=True) / 2
        return (1 - mpmath.betainc(b, a, 0, t * t / (nu + t * t), regularized=True)) / 2
    except mpmath.libmp.libhyper.NoConvergence:
        points = [t + step * (1 + t) for step in (0, 0.25, 0.5, 1, 2, 4, 8, 16, 64)] + [mpmath.inf]
        return mpmath.quad(lambda u: density(nu, u), points)


def exact_sf(df: float, t: float) -> mpmath.mpf:
    return 1 - upper_tail(df, -t) if t < 0 else upper_tail(df, t)


def exact_cdf(df: float, t: float) -> mpmath.mpf:
    return upper_tail(df, -t) if t < 0 else 1 - upper_tail(df, t)


def check_closed_forms() -> None:
    """The quadrature against the distributions with a closed form: ν = 1 (Cauchy),
    F(t) = ½ + atan(t)/π, and ν = 2, F(t) = ½ + t / (2√(2 + t²))."""
    for t in (mpmath.mpf("1e-6"), mpmath.mpf(2), mpmath.mpf(50), mpmath.mpf(1000)):
        assert abs(exact_sf(1, t) - (mpmath.mpf(1) / 2 - mpmath.atan(t) / mpmath.pi)) < mpmath.mpf(10) ** -30 * exact_sf(1, t)
        assert abs(exact_sf(2, t) - (mpmath.mpf(1) / 2 - t / (2 * mpmath.sqrt(2 + t * t)))) < mpmath.mpf(10) ** -30 * exact_sf(2, t)


def exact_ppf(df: float, p: float, start: float) -> mpmath.mpf:
    """The t with P(T ≤ t) = p, by mpmath's root finder started from SciPy's answer."""
    target = mpmath.mpf(p)
    return mpmath.findroot(lambda t: exact_cdf(df, t) - target, mpmath.mpf(start))

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = PACKAGE_ROOT / "Tests" / "SweepKitTests" / "Analysis" / "ReferenceValues" / "student_t.json"

DEGREES_OF_FREEDOM = [1, 1.5, 2, 2.5, 3, 4, 5, 7, 9, 11, 15, 19, 29, 30, 49, 100, 1000, 1e4, 1e5, 1e6, 1e8]
T_VALUES = [-1000, -50, -10, -4, -2.5, -1, -0.3, -1e-6, 0, 1e-6, 0.3, 1, 2, 2.5, 4, 10, 50, 1000]
PROBABILITIES = [1e-12, 1e-8, 1e-4, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.999, 0.9999]


def main() -> None:
    check_closed_forms()
    distributions = []
    for df in DEGREES_OF_FREEDOM:
        distribution = stats.t(df)
        distributions.append({
            "degrees_of_freedom": float(df),
            "cdf": [
                {
                    "t": float(t), "cdf": float(distribution.cdf(t)), "sf": float(distribution.sf(t)),
                    "cdf_exact": float(exact_cdf(df, t)), "sf_exact": float(exact_sf(df, t)),
                }
                for t in T_VALUES
            ],
            "ppf": [
                {"p": float(p), "t": float(distribution.ppf(p)), "t_exact": float(exact_ppf(df, p, distribution.ppf(p)))}
                for p in PROBABILITIES
            ],
        })
    document = {
        "generator": "tools/analysis_reference.py",
        "scipy_version": scipy.__version__,
        "numpy_version": numpy.__version__,
        "mpmath_version": mpmath.__version__,
        "distributions": distributions,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT.relative_to(PACKAGE_ROOT)}")


if __name__ == "__main__":
    main()
