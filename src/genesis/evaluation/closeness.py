"""Distance-based metrics: distance to closest record (DCR), exact copies and membership inference.

All three ask whether synthetic rows sit closer to the training rows than
to real rows the model never saw (the holdout). Distances are the mixed
Gower distance of `genesis.evaluation.distance`.
"""

from __future__ import annotations

import numpy as np

from genesis.evaluation.audit_inputs import AuditInputs
from genesis.evaluation.distance import MISSING_NUMBER, EncodedRows, nearest
from genesis.evaluation.sampling import Groups, subsample
from genesis.evaluation.stats import MetricResult, Z, advantage, auc_with_bootstrap, wilson_interval

DCR_METHOD = ("share of synthetic rows whose nearest real row is a training row rather than a holdout row "
              "(ties split by count), as excess over the share expected from the two tables' sizes")
DCR_PROXY_METHOD = ("proxy without a holdout: share of synthetic rows nearer to the training rows than a "
                    "training row is to the other training rows (leave-one-out), as excess over one half")
COPY_METHOD = ("share of synthetic rows identical to a training row, beyond the share that copies of holdout "
               "rows predict for tables of these sizes")
MEMBERSHIP_METHOD = ("attacker scores each real row by its distance to the nearest synthetic row; risk = "
                     "max(0, 2 AUC - 1) on equal numbers of training rows and holdout rows, bootstrap CI")
MEMBERSHIP_PROXY_METHOD = ("proxy without a holdout: each training row's distance to the nearest synthetic "
                           "row against its distance to the nearest of as many other training rows; risk = "
                           "max(0, 2 AUC - 1), bootstrap CI")


def closeness_metrics(inputs: AuditInputs, groups: Groups, n_queries: int, max_reference: int,
                      rng: np.random.Generator) -> tuple[MetricResult, MetricResult, int]:
    """Return the DCR metric, the exact-copy metric and the count of synthetic rows copying a training row.

    The exact-copy metric's details also report whether synthetic rows copy
    holdout rows more often than real rows repeat each other
    (`holdout_copied`, see `_holdout_copies`).

    Each synthetic query's nearest row is searched in the training rows and
    in the holdout. Under the null hypothesis (synthetic rows are as new to
    the training rows as to the holdout), the nearest of all these real rows
    is a training row with probability n_train / (n_train + n_holdout),
    because real rows are exchangeable. The excess over that share, scaled
    to [0, 1], is the risk; `dcr_score` is 1 minus it. With equal sizes this
    is min(1, 2 (1 - share)), the form of SDMetrics' DCROverfittingProtection.
    Without a holdout, the DCR is a proxy measured against the training rows'
    leave-one-out distances (see `_closer_than_real_neighbours`), and for the
    copy metric training rows outside the reference play the holdout's part.
    """
    queries = inputs.encoded_synthetic.take(subsample(len(inputs.synthetic), n_queries, rng))
    training_reference, unseen_reference = _references(inputs, groups, max_reference, rng)

    to_training = nearest(queries, training_reference, rng)
    to_unseen = nearest(queries, unseen_reference, rng)
    closer = _training_share(to_training, to_unseen)
    expected = len(training_reference) / (len(training_reference) + len(unseen_reference))
    effect = 1.0
    if groups.holdout_used:
        effect = _dcr_design_effect(to_training, to_unseen, len(training_reference), len(unseen_reference),
                                    rng)
        dcr = _excess_share_metric("dcr", closer, expected, len(queries), DCR_METHOD, True, effect)
    else:
        all_training = inputs.encoded_training.take(subsample(len(inputs.training), max_reference, rng))
        shares = _closer_than_real_neighbours(nearest(queries, all_training, rng), all_training, rng)
        dcr = _excess_share_metric("dcr", shares, 0.5, len(queries), DCR_PROXY_METHOD, False)
    dcr_details = {
        "design_effect": effect,
        **_sdmetrics_figures(inputs, queries, training_reference, to_training, to_unseen,
                             len(unseen_reference) if groups.holdout_used else 0, rng),
        "median_distance_synthetic_to_training": float(np.median(to_training.distance)),
        "median_distance_synthetic_to_unseen": float(np.median(to_unseen.distance)),
        "share_closer_to_training": float(closer.mean()),
        "expected_share": expected,
        "reference_rows": {"training": len(training_reference), "unseen": len(unseen_reference)},
    }
    dcr = _with_score(dcr, dcr_details)

    copy_metric = _copy_metric(to_training, to_unseen, closer, expected, groups.holdout_used)
    if groups.holdout_used:
        found = _holdout_copies(inputs, to_unseen, unseen_reference, len(queries), rng)
        copy_metric = MetricResult(**{**copy_metric.to_dict(), "details": {**copy_metric.details, **found}})
    return dcr, copy_metric, count_exact_copies(inputs)


def _holdout_copies(inputs: AuditInputs, to_unseen, unseen: EncodedRows, n_queries: int,
                    rng: np.random.Generator) -> dict:
    """Compare how often synthetic rows and training rows equal a holdout row.

    The model never saw the holdout, so synthetic rows can equal holdout
    rows only as often as rows of the population repeat one another, which
    training rows measure: they are real rows, searched in the same holdout
    rows. A synthetic share clearly above that (its 95% Wilson interval
    above the training share's, and at least 1%) means the synthetic table
    contains real rows, or the holdout was used in training. Either way every
    risk calibrated on the holdout is understated, so `run_privacy_audit`
    then warns and does not return "pass".
    """
    synthetic_share = float((to_unseen.distance == 0).mean())
    sample = inputs.encoded_training.take(subsample(len(inputs.training), FIGURE_ROWS, rng))
    real_share = float((nearest(sample, unseen, rng).distance == 0).mean())
    synthetic_low, _ = wilson_interval(synthetic_share * n_queries, n_queries)
    _, real_high = wilson_interval(real_share * len(sample), len(sample))
    copied = synthetic_low > real_high and synthetic_share >= HOLDOUT_COPY_FLOOR
    return {"share_copying_holdout": synthetic_share, "real_share_copying_holdout": real_share,
            "holdout_copied": bool(copied)}


def membership_metric(inputs: AuditInputs, groups: Groups, max_reference: int, rng: np.random.Generator
                      ) -> MetricResult:
    """Return the membership-inference risk of a distance attack (Chen et al., CCS 2020, "GAN-leaks").

    The attacker calls a row a member when it lies close to some synthetic
    row. Members are training rows, non-members holdout rows, equally many.
    The AUC of the score -distance, turned into advantage 2 AUC - 1, is the
    risk. Without a holdout, each training row's distance to the synthetic
    table is compared with its distance to an equally large set of other
    training rows. A model that generalizes matches those distances, and the
    result is a proxy.
    """
    members = groups.target_rows(inputs)
    if groups.holdout_used:
        reference_rows = subsample(len(inputs.synthetic), max_reference, rng)
        synthetic_reference = inputs.encoded_synthetic.take(reference_rows)
        member_distance = nearest(members, synthetic_reference, rng).distance
        other_distance = nearest(groups.control_rows(inputs), synthetic_reference, rng).distance
    else:
        # Equal sizes: a nearest neighbour among more rows is nearer, whatever the rows are.
        # Only the members are left out: without a holdout the controls are training rows too, and
        # excluding them as well left no reference rows in tables under 2 * n_attacks rows.
        others = subsample(len(inputs.training), max_reference, rng, exclude=groups.targets)
        size = min(len(others), len(inputs.synthetic))
        others = np.sort(rng.choice(others, size, replace=False))
        synthetic_reference = inputs.encoded_synthetic.take(subsample(len(inputs.synthetic), size, rng))
        member_distance = nearest(members, synthetic_reference, rng).distance
        other_distance = nearest(members, inputs.encoded_training.take(others), rng).distance

    auc, low, high = auc_with_bootstrap(-member_distance, -other_distance, rng)
    return MetricResult(
        name="membership", value=advantage(auc), ci_low=advantage(low), ci_high=advantage(high),
        n=2 * groups.n, baseline=0.5, holdout_used=groups.holdout_used,
        method=MEMBERSHIP_METHOD if groups.holdout_used else MEMBERSHIP_PROXY_METHOD,
        proxy=not groups.holdout_used,
        details={"auc": auc, "auc_ci": [low, high], "members": groups.n, "non_members": groups.n,
                 "synthetic_reference_rows": len(synthetic_reference)},
    )


HOLDOUT_COPY_FLOOR = 0.01
"""Share of synthetic rows equal to a holdout row below which no warning is given, whatever the chance."""

FIGURE_ROWS = 2000
"""Rows behind each figure that is not a verdict metric: the training rows' chance of equalling a holdout row,
the uniform random rows of DCRBaselineProtection and the synthetic rows of DCROverfittingProtection. The
shares then carry a 95% half-width of at most 2.2 points."""


def _sdmetrics_figures(inputs: AuditInputs, queries: EncodedRows, training: EncodedRows, to_training,
                       to_unseen, n_holdout: int, rng: np.random.Generator) -> dict:
    """Return SDMetrics' two DCR scores computed the way SDMetrics 0.32 computes them, for comparison.

    `overfitting_protection` is DCROverfittingProtection: the synthetic
    queries, as many training rows as holdout rows searched (`n_holdout`), and those
    holdout rows;
    p = share of up to `FIGURE_ROWS` queries strictly closer to the training sample (ties count
    as closer to the holdout); score = min(1, 2 (1 - p)). It is None
    without a holdout. `baseline_protection` is DCRBaselineProtection. It
    divides the median distance of synthetic rows to their nearest training
    row by that of uniform random rows (numbers uniform over each column's
    range, categories uniform over the values seen, missing values at each
    column's missing share), capped at 1. These are reported so that users
    of SDMetrics can compare; they are not part of the verdict, because a
    training sample of holdout size dilutes copies (a verbatim copy of a
    training table four times the holdout's size scored 0.72 on the patient table) and
    closeness to the training rows is not leakage.
    """
    random_rows = _uniform_rows(inputs, training, min(len(queries), FIGURE_ROWS), rng)
    random_median = float(np.median(nearest(random_rows, training, rng).distance))
    synthetic_median = float(np.median(to_training.distance))
    baseline = 1.0 if random_median == 0 else min(1.0, synthetic_median / random_median)

    overfitting = None
    if n_holdout:
        same_size = inputs.encoded_training.take(subsample(len(inputs.training), n_holdout, rng))
        some = subsample(len(queries), FIGURE_ROWS, rng)
        closer = nearest(queries.take(some), same_size, rng).distance < to_unseen.distance[some]
        overfitting = min(1.0, 2 * (1 - float(closer.mean())))
    return {"overfitting_protection": overfitting, "baseline_protection": baseline,
            "median_distance_random_to_training": random_median}


def _uniform_rows(inputs: AuditInputs, training: EncodedRows, n_rows: int, rng: np.random.Generator
                  ) -> EncodedRows:
    """Return `n_rows` encoded rows drawn as SDMetrics draws its random baseline table."""
    numeric = rng.uniform(0.0, 1.0, size=(n_rows, training.numeric.shape[1])).astype(np.float32)
    missing_numbers = (training.numeric == MISSING_NUMBER).mean(axis=0)
    numeric[rng.random(numeric.shape) < missing_numbers] = MISSING_NUMBER

    categorical = np.empty((n_rows, training.categorical.shape[1]), dtype=np.int32)
    for column, vocabulary in enumerate(inputs.space.vocabularies):
        codes = training.categorical[:, column]
        missing = codes == len(vocabulary)
        present = np.unique(codes[~missing])
        drawn = rng.choice(present, n_rows) if present.size else np.full(n_rows, len(vocabulary))
        categorical[:, column] = np.where(rng.random(n_rows) < missing.mean(), len(vocabulary), drawn)
    return EncodedRows(numeric, categorical)


def count_exact_copies(inputs: AuditInputs) -> int:
    """Return how many synthetic rows equal some training row on every compared column."""
    training = _row_keys(inputs.encoded_training)
    synthetic = _row_keys(inputs.encoded_synthetic)
    return int(np.isin(synthetic, training).sum())


def _references(inputs: AuditInputs, groups: Groups, max_reference: int, rng: np.random.Generator
                ) -> tuple[EncodedRows, EncodedRows]:
    if groups.holdout_used:
        training = subsample(len(inputs.training), max_reference, rng)
        unseen = subsample(len(inputs.holdout), max_reference, rng)
        return inputs.encoded_training.take(training), inputs.encoded_holdout.take(unseen)
    order = rng.permutation(len(inputs.training))
    half = len(order) // 2
    training = np.sort(order[:half][:max_reference])
    unseen = np.sort(order[half:][:max_reference])
    return inputs.encoded_training.take(training), inputs.encoded_training.take(unseen)


def _closer_than_real_neighbours(to_training, reference: EncodedRows, rng: np.random.Generator,
                                 max_rows: int = 2000) -> np.ndarray:
    """Return per synthetic query the share of real leave-one-out distances larger than its own (ties halved).

    A synthetic row from the real rows' distribution is as far from the
    training rows as a training row is from the others, so the mean share is
    about 1/2. A copied row is at distance 0 and scores near 1. This replaces
    the holdout when there is none: splitting the training rows in two, as
    with a holdout, cannot see copies, because a copy is equally likely to
    copy a row of either half.
    """
    n_rows = min(len(reference), max_rows)
    leave_one_out = np.sort(nearest(reference.take(np.arange(n_rows)), reference, rng,
                                    exclude_same_position=True).distance)
    below = np.searchsorted(leave_one_out, to_training.distance, side="left")
    above = n_rows - np.searchsorted(leave_one_out, to_training.distance, side="right")
    return (above + 0.5 * (n_rows - below - above)) / n_rows


def _training_share(to_training, to_unseen) -> np.ndarray:
    """Return per query 1 (training nearer), 0 (unseen nearer) or the training share of the tied rows."""
    tied_share = to_training.n_tied / (to_training.n_tied + to_unseen.n_tied)
    share = np.where(to_training.distance < to_unseen.distance, 1.0, 0.0)
    return np.where(to_training.distance == to_unseen.distance, tied_share, share)


def _copy_metric(to_training, to_unseen, closer: np.ndarray, expected: float, holdout_used: bool
                 ) -> MetricResult:
    """Return the share of synthetic rows that copy a training row beyond what copies of unseen rows predict.

    Per query, y = (c - expected * e) / (1 - expected), where e is 1 for an
    exact copy of some real row and c the training share of its copies. The
    mean of y estimates the excess share of training copies among all
    synthetic rows (0 when copies hit training and unseen rows in proportion
    to their sizes; 1 when every synthetic row copies a training row). The
    interval is the normal one of a mean.
    """
    exact = (to_training.distance == 0) | (to_unseen.distance == 0)
    excess = (np.where(exact, closer, 0.0) - expected * exact) / (1 - expected)
    mean = float(excess.mean())
    half = Z * float(excess.std(ddof=1)) / np.sqrt(excess.size) if excess.size > 1 else 1.0
    return MetricResult(
        name="exact_copies", value=_unit(mean), ci_low=_unit(mean - half), ci_high=_unit(mean + half),
        n=int(excess.size), baseline=expected, method=COPY_METHOD, holdout_used=holdout_used,
        proxy=not holdout_used,
        details={"share_copying_training": float((to_training.distance == 0).mean()),
                 "share_copying_unseen": float((to_unseen.distance == 0).mean()),
                 "copies_among_queries": int(exact.sum())},
    )


def _unit(value: float) -> float:
    return float(min(1.0, max(0.0, value)))


def _dcr_design_effect(to_training, to_unseen, n_training: int, n_unseen: int, rng: np.random.Generator,
                       n_permutations: int = 200) -> float:
    """Return how much more the share closer to training varies than independent queries allow.

    Synthetic rows that crowd around a few real rows share those rows as
    their nearest neighbour, so whether those few rows happen to be training
    rows moves the whole share together. The Wilson interval of the share
    assumes independent queries and is then far too narrow (a noisy DP-CTGAN
    release whose 10,000 rows had 1,068 distinct nearest real rows varied 8
    times more). As for singling out (`genesis.evaluation.singling_out_null`),
    the training rows are redrawn as a random subset of the real rows searched,
    while each query's nearest real row keeps its place. The ratio of the
    share's variance to p0 (1 - p0) / n is the design effect (Kish, "Survey
    Sampling", 1965), never below 1. A tied query's nearest row is drawn from
    its tied rows in proportion to their counts.
    """
    from_training = np.where(to_training.distance == to_unseen.distance,
                             rng.random(len(to_training.distance))
                             < to_training.n_tied / (to_training.n_tied + to_unseen.n_tied),
                             to_training.distance < to_unseen.distance)
    row = np.where(from_training, to_training.index[:, 0], n_training + to_unseen.index[:, 0])

    n_rows = n_training + n_unseen
    shares = np.empty(n_permutations)
    for draw in range(n_permutations):
        is_training = np.zeros(n_rows, dtype=bool)
        is_training[rng.choice(n_rows, n_training, replace=False)] = True
        shares[draw] = is_training[row].mean()
    expected = n_training / n_rows
    independent = expected * (1 - expected) / len(row)
    return float(max(1.0, shares.var(ddof=1) / independent)) if independent > 0 else 1.0


def _excess_share_metric(name: str, shares: np.ndarray, expected: float, n: int, method: str,
                         holdout_used: bool, design_effect: float = 1.0) -> MetricResult:
    """Return risk = max(0, (share - expected) / (1 - expected)) with the Wilson interval of the share.

    `design_effect` multiplies the interval's variance (see `_dcr_design_effect`).
    """
    if n == 0:
        return MetricResult(name=name, value=0.0, ci_low=0.0, ci_high=0.0, n=0, baseline=expected,
                            method=method,
                            holdout_used=holdout_used, proxy=not holdout_used)
    share = float(np.mean(shares))
    low, high = wilson_interval(share * n, n, z=Z * float(np.sqrt(design_effect)))

    def scale(value: float) -> float:
        return float(min(1.0, max(0.0, (value - expected) / (1 - expected))))

    return MetricResult(name=name, value=scale(share), ci_low=scale(low), ci_high=scale(high), n=n,
                        baseline=expected, method=method, holdout_used=holdout_used, proxy=not holdout_used)


def _with_score(risk: MetricResult, details: dict) -> MetricResult:
    """Return the DCR metric as a score, 1 minus the risk, so 1.0 means no closeness to training."""
    return MetricResult(name=risk.name, value=1 - risk.value, ci_low=1 - risk.ci_high,
                        ci_high=1 - risk.ci_low,
                        n=risk.n, baseline=risk.baseline, method=risk.method, holdout_used=risk.holdout_used,
                        proxy=risk.proxy, details={**details, "risk": risk.value, "risk_ci": [risk.ci_low,
                                                                                                 risk.ci_high]})


def _row_keys(rows: EncodedRows) -> np.ndarray:
    """Return one hashable key per row, equal for rows equal on every column."""
    combined = np.concatenate([rows.numeric.view(np.int32), rows.categorical], axis=1)
    row_type = np.dtype((np.void, combined.dtype.itemsize * combined.shape[1]))
    return np.ascontiguousarray(combined).view(row_type)[:, 0]
