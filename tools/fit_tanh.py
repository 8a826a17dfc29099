"""Fits the rational tanh of Sources/CKernels/elementwise.c (tanh_rational).

tanh(x) ~ x * P(x^2) / Q(x^2) on [0, T], P of degree NP and Q of degree NQ in x^2 with Q(0) = 1,
minimising the largest relative error: linearised least squares (x*P - tanh(x)*Q, weighted by
1/(tanh(x)*Q) of the previous pass) with Lawson's reweighting towards the minimax solution, in
40-digit arithmetic (mpmath) on 1500 Chebyshev-spaced points. Prints the coefficients for the
C source and the fit's largest relative error in exact arithmetic; the error of the float
evaluation is what tools/check_tanh.c measures.

Run (mpmath comes with the tools/.venv that tools/setup-python-env.sh creates):

  tools/.venv/bin/python tools/fit_tanh.py            # T = 9.02, NP = 6, NQ = 3 (the shipped fit)
  tools/.venv/bin/python tools/fit_tanh.py 9.02 7 3
"""

import sys

import mpmath as mp

mp.mp.dps = 40


def fit(limit, np_degree, nq_degree, points=1500, passes=40):
    xs = [limit * (1 - mp.cos(mp.pi * (i + mp.mpf(0.5)) / points)) / 2 for i in range(points)]
    ts = [x * x for x in xs]
    fs = [mp.tanh(x) for x in xs]
    weights = [mp.mpf(1)] * points
    q_values = [mp.mpf(1)] * points
    best = None
    for _ in range(passes):
        rows, rhs = [], []
        for x, t, f, q, w in zip(xs, ts, fs, q_values, weights):
            scale = mp.sqrt(w) / (f * q)
            rows.append([x * t**k * scale for k in range(np_degree + 1)] + [-f * t**k * scale for k in range(1, nq_degree + 1)])
            rhs.append(f * scale)
        solution = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))[0]
        p = [solution[k] for k in range(np_degree + 1)]
        q = [mp.mpf(1)] + [solution[np_degree + k] for k in range(1, nq_degree + 1)]
        q_values = [sum(q[k] * t**k for k in range(nq_degree + 1)) for t in ts]
        errors = [abs(x * sum(p[k] * t**k for k in range(np_degree + 1)) / qv / f - 1) for x, t, f, qv in zip(xs, ts, fs, q_values)]
        largest = max(errors)
        if best is None or largest < best[0]:
            best = (largest, p, q)
        weights = [w * e / largest for w, e in zip(weights, errors)]
        total = sum(weights)
        weights = [w / total * points for w in weights]
    return best


def main():
    limit = mp.mpf(sys.argv[1]) if len(sys.argv) > 1 else mp.mpf("9.02")
    np_degree = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    nq_degree = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    largest, p, q = fit(limit, np_degree, nq_degree)
    print(f"largest relative error on [0, {limit}]: {mp.nstr(largest, 5)}")
    print("P (x^0 ... ):", ", ".join(mp.nstr(v, 20) + "f" for v in p))
    print("Q (x^0 ... ):", ", ".join(mp.nstr(v, 20) + "f" for v in q))


if __name__ == "__main__":
    main()
