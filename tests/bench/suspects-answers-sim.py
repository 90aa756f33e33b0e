#!/usr/bin/python3
"""Does the suspects queue find more errors when it learns from the annotator's answers?

Replays the ranking that bench-suspects-noise --dump wrote (every ranked region of each draw, in
the engine's order, with the injected error it finds, if any) with a simulated annotator who
walks the queue from the top: a region that finds an injected error is accepted, any other is
dismissed ("not an error"). After each answer the rest of the queue is ordered again the way
rl_suspects_list orders it (app/project/rl-project-suspects.c, "The queue learns from the
answers"): by kind, then score x weight, the weight of a class pair (labelled, suggested)

    g = (all accepted + 1) / (all answers + 10),
    p = (pair's accepted + PRIOR g) / (pair's answers + PRIOR),   weight = (p / g)^POWER

(PRIOR 2, POWER 2 in the app). Prints recall R and precision P at N, 2N and 5N answers (N =
errors injected per draw) with the answers (--prior, --power) beside the engine's fixed order
(every region reviewed counts, as in the bench). Prints figures; not a test.

    build/tests/suspects/bench-suspects-noise --sequence 0006R0 --model M --seeds 1,2,3,4,5 \\
        --dump design.csv     # the weights were chosen on these seeds
    build/tests/suspects/bench-suspects-noise --sequence 0006R0 --model M \\
        --seeds 11,12,13,14,15 --dump report.csv
    tests/bench/suspects-answers-sim.py report.csv [--prior 2] [--power 2]

The simulated annotator is perfect and answers every region it is shown; a real one skips
some and is sometimes wrong. A region the bench counts as finding no injected error may be one
of the dataset's own label errors, which a real annotator would accept."""
import argparse
import collections
import csv

import numpy as np


def load(path):
    draws = collections.OrderedDict()
    errors = {}
    for r in csv.DictReader(open(path)):
        d = (r["noise"], r["seed"])
        draws.setdefault(d, [])
        if r["error"] != "-1":
            errors.setdefault(d, set()).add(r["error"])
        if r["pixels"] != "0":      # "0": an injected error no region finds
            draws[d].append(r)
    return draws, errors


def walk(rows, n, prior, power):
    """Found errors and hits after n, 2n and 5n answers; power 0 keeps the engine's order."""
    kind = np.array([int(r["kind"]) for r in rows])
    score = np.array([float(r["score"]) for r in rows])
    pair_of = {}
    pair = np.array([pair_of.setdefault((r["labelled"], r["suggested"]), len(pair_of))
                     for r in rows])
    error = [r["error"] for r in rows]
    accepted = np.zeros(len(pair_of))
    answers = np.zeros(len(pair_of))
    left = np.ones(len(rows), bool)
    found, hits, marks = set(), 0, {}
    for k in range(1, min(5 * n, len(rows)) + 1):
        g = (accepted.sum() + 1.0) / (answers.sum() + 10.0)
        weight = ((accepted + prior * g) / ((answers + prior) * g)) ** power
        key = np.where(left, score * weight[pair], -1.0)
        # kind first (regions before boundary offsets), then score x weight, then the engine's
        # order (the dump's, which breaks ties as the app does, by id)
        i = int(np.lexsort((np.arange(len(rows)), -key, np.where(left, kind, 9)))[0])
        left[i] = False
        answers[pair[i]] += 1
        if error[i] != "-1":
            accepted[pair[i]] += 1
            found.add(error[i])
            hits += 1
        if k in (n, 2 * n, 5 * n):
            marks[k] = (len(found), hits)
    return [marks.get(m, (len(found), hits)) for m in (n, 2 * n, 5 * n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump")
    ap.add_argument("--prior", type=float, default=2.0)
    ap.add_argument("--power", type=float, default=2.0)
    a = ap.parse_args()
    draws, errors = load(a.dump)
    print("R = injected errors found, P = answers that found one, at N / 2N / 5N answers;"
          " mean over draws")
    for label, power in (("engine's order", 0.0), ("with the answers (prior %g, power %g)"
                                                   % (a.prior, a.power), a.power)):
        by_noise = collections.OrderedDict()
        for d, rows in draws.items():
            n = len(errors.get(d, ()))
            if n == 0:
                continue
            m = walk(rows, n, a.prior, power)
            by_noise.setdefault(d[0], []).append(
                [f / n for f, _ in m] + [h / (n * k) for (_, h), k in zip(m, (1, 2, 5))])
        for noise, v in by_noise.items():
            r = np.mean(v, 0)
            print("%-38s %-10s R %.2f %.2f %.2f  P %.2f %.2f %.2f  (%d draws)"
                  % (label, noise, *r, len(v)))


if __name__ == "__main__":
    main()
