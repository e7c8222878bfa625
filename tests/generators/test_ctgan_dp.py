"""DP-CTGAN: per-row gradients, the DP-SGD step, the step policy and fits under a ledger."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.func import functional_call, grad, vmap  # noqa: E402

from genesis.generators.ctgan_dp_critic import DPCritic  # noqa: E402
from genesis.generators.ctgan_networks import GRADIENT_PENALTY_WEIGHT  # noqa: E402
from genesis.privacy.dpsgd import add_noise, clip_factors, poisson_batch  # noqa: E402

pytestmark = pytest.mark.torch


def _autograd_per_pair(critic: DPCritic, real, real_conditions, fake, fake_conditions, between):
    """Per-pair gradients of the WGAN-GP pair loss by torch.func, the oracle for the closed form."""
    parameters = {name: p.detach() for name, p in critic.named_parameters()}

    def loss(params, row, condition, partner, partner_condition, point):
        condition = condition.reshape(1) if condition is not None else None
        partner_condition = partner_condition.reshape(1) if partner_condition is not None else None

        def score(x, c):
            return functional_call(critic, params, (x.unsqueeze(0), c)).sum()

        slope = grad(score)(point, condition)
        return score(partner, partner_condition) - score(row, condition) \
            + GRADIENT_PENALTY_WEIGHT * (slope.norm() - 1.0) ** 2

    conditioned = 0 if real_conditions is not None else None
    in_dims = (None, 0, conditioned, 0, conditioned, 0)
    per_pair = vmap(grad(loss), in_dims=in_dims)
    return per_pair(parameters, real, real_conditions, fake, fake_conditions, between)


def _pairs(n_rows: int, n_conditions: int, width: int = 7):
    real, fake, between = torch.randn(n_rows, width), torch.randn(n_rows, width), torch.randn(n_rows, width)
    if not n_conditions:
        return real, None, fake, None, between
    real_conditions = torch.randint(0, n_conditions, (n_rows,))
    fake_conditions = torch.randint(0, n_conditions, (n_rows,))
    fake_conditions[:3] = real_conditions[:3]  # a shared row of the embedding table
    return real, real_conditions, fake, fake_conditions, between


@pytest.mark.parametrize("hidden", [[16], [16, 8], [12, 10, 6]])
@pytest.mark.parametrize("n_conditions", [0, 5])
def test_closed_form_gradients_match_autograd(hidden, n_conditions):
    torch.manual_seed(0)
    critic = DPCritic(7, n_conditions, hidden)
    pairs = _pairs(9, n_conditions)

    per_pair = _autograd_per_pair(critic, *pairs)
    squared = sum(g.reshape(9, -1).pow(2).sum(1) for g in per_pair.values())
    clip = float(squared.sqrt().median())
    scale = clip_factors(squared, clip)
    expected = {name: torch.tensordot(scale, g, dims=([0], [0])) for name, g in per_pair.items()}

    actual = critic.clipped_gradient_sum(*pairs, clip_norm=clip)
    assert set(actual) == set(expected)
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=1e-4, atol=1e-5)


def test_clipping_bounds_each_pair():
    torch.manual_seed(1)
    critic = DPCritic(5, 3, [8, 8])
    real, real_conditions, fake, fake_conditions, between = _pairs(1, 3, width=5)
    total = critic.clipped_gradient_sum(real * 100, real_conditions, fake, fake_conditions, between,
                                        clip_norm=0.5)
    norm = torch.sqrt(sum(t.pow(2).sum() for t in total.values()))
    assert float(norm) == pytest.approx(0.5, rel=1e-4)


def test_empty_batch_gives_zero_sum():
    critic = DPCritic(4, 2, [6])
    empty, no_conditions = torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)
    total = critic.clipped_gradient_sum(empty, no_conditions, empty, no_conditions, empty, clip_norm=1.0)
    assert all(float(t.abs().sum()) == 0.0 for t in total.values())
    assert total["linears.0.weight"].shape == (6, 4)


def test_noise_has_requested_scale():
    generator = torch.Generator().manual_seed(3)
    zero = {"w": torch.zeros(200_000)}
    noisy = add_noise(zero, clip_norm=2.0, noise_multiplier=1.5, expected_batch_size=10.0,
                      generator=generator)
    assert float(noisy["w"].std()) == pytest.approx(2.0 * 1.5 / 10.0, rel=0.01)


def test_poisson_batch_rate():
    rng = np.random.default_rng(0)
    sizes = [poisson_batch(1000, 0.05, rng).size for _ in range(400)]
    assert np.mean(sizes) == pytest.approx(50, rel=0.03)
    assert np.var(sizes) == pytest.approx(1000 * 0.05 * 0.95, rel=0.2)


# ---------------------------------------------------------------- fits under a ledger

import warnings  # noqa: E402

import pandas as pd  # noqa: E402

from genesis import SyntheticGenerator  # noqa: E402
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table  # noqa: E402
from genesis.errors import IgnoredSettingWarning, NotSupportedError, PrivacyWarning, UtilityWarning  # noqa: E402
from genesis.generators.ctgan_dp import AUTO_NOISE_MULTIPLIER, plan_dp_steps  # noqa: E402
from genesis.privacy.ledger import PrivacyEvent, PrivacyLedger  # noqa: E402

DP = {"differential_privacy": {"epsilon": 1.0, "delta": 1e-5}}
TINY = {"epochs": 2, "batch_size": 200, "generator_dim": [32], "discriminator_dim": [32], "embedding_dim": 16}


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return patient_table(2000, random_state=5).drop(columns="patient_id")


def fit_dp_ctgan(table: pd.DataFrame, privacy=DP, config=TINY, seed: int = 0) -> SyntheticGenerator:
    model = SyntheticGenerator("ctgan", privacy=privacy, config=config, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyWarning)
        return model.fit(table, list(PATIENT_DISCRETE_COLUMNS))


def test_training_is_charged_to_ledger(patients):
    model = fit_dp_ctgan(patients)

    events = model.privacy_spent.events
    training = [event for event in events if event.mechanism == "subsampled_gaussian"]
    epsilon, delta = model.privacy_spent

    rows = model.n_training_rows_
    assert len(training) == 1
    assert training[0].steps == 2 * (rows // 200)
    assert training[0].sampling_rate == pytest.approx(200 / rows)
    assert training[0].noise_multiplier == model.generator_.noise_multiplier_
    assert 0.99 <= epsilon <= 1.0
    assert delta == 1e-5


def test_dp_output_contract(patients):
    model = fit_dp_ctgan(patients)

    synthetic = model.generate(n_samples=300)

    assert list(synthetic.columns) == list(patients.columns)
    assert len(synthetic) == 300
    assert synthetic.attrs["genesis"]["privacy"]["ledger"]["spent"]["epsilon"] <= 1.0


def test_record_gives_settings_used(patients, tmp_path):
    model = fit_dp_ctgan(patients, config={**TINY, "epochs": "auto"})

    training = model.generate(n_samples=10).attrs["genesis"]["generator"]["training"]
    loaded = SyntheticGenerator.load(model.save(tmp_path / "model.genesis"))

    assert training["pac"] == 1
    assert isinstance(training["epochs"], int)
    assert training["dp_sgd"]["noise_multiplier"] == model.generator_.noise_multiplier_
    assert loaded.generate(n_samples=10).attrs["genesis"]["generator"]["training"] == training


def test_conditions_come_from_noisy_counts(patients):
    model = fit_dp_ctgan(patients)

    sampler = model.generator_.sampler_
    gender = model.domain_["gender"]
    position = [block.column for block in model.generator_.encoder_.conditional_blocks].index("gender")
    start = sampler.block_starts[position]
    expected = np.rint(np.clip(gender.counts, 0, None)).astype(np.int64)

    assert gender.source == "dp"
    assert sampler.counts[start: start + len(expected)].tolist() == expected.tolist()


def test_public_columns_measured_with_noise(patients):
    public = {"gender": {"categories": ["F", "M"]}, "age": {"lower": 0, "upper": 100}}
    model = SyntheticGenerator("ctgan", privacy=DP, config=TINY, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyWarning)
        model.fit(patients, list(PATIENT_DISCRETE_COLUMNS), public_domain=public)

    measured = [event.measured for event in model.privacy_spent.events]

    assert any("'gender' for DP-CTGAN" in text for text in measured)
    assert any("'age' for DP-CTGAN" in text for text in measured)
    assert model.privacy_spent.epsilon <= 1.0


def test_saved_dp_model_reloads(patients, tmp_path):
    model = fit_dp_ctgan(patients)
    path = model.save(tmp_path / "dp-ctgan.genesis")

    loaded = SyntheticGenerator.load(path)

    assert loaded.privacy_spent.epsilon == pytest.approx(model.privacy_spent.epsilon)
    assert len(loaded.generate(n_samples=50)) == 50


def test_rows_per_unit_above_one_rejected(patients):
    table = patients.assign(patient_nbr=np.arange(len(patients)) // 2)
    privacy = {**DP, "unit_column": "patient_nbr", "max_rows_per_unit": 2}

    with pytest.raises(NotSupportedError, match="max_rows_per_unit=2"):
        fit_dp_ctgan(table, privacy=privacy)


def test_pac_ignored_with_warning(patients):
    with pytest.warns(IgnoredSettingWarning, match="pac=5 is ignored"):
        fit_dp_ctgan(patients, config={**TINY, "pac": 5})


def fresh_ledger(epsilon: float = 1.0) -> PrivacyLedger:
    return PrivacyLedger(epsilon=epsilon, delta=1e-5)


def test_tutorial_epochs_warn_with_multiplier():
    """300 epochs of batch 500 on 10,000 rows at epsilon 1: a multiplier near 16, and a warning."""
    with pytest.warns(UtilityWarning, match=r"needs noise multiplier 1\d\.\d"):
        plan = plan_dp_steps(fresh_ledger(), 300, 500, 10_000, 20, 1, 300)

    assert 12 < plan.noise_multiplier < 20
    assert plan.epochs == 300
    assert plan.critic_steps == 6000


def test_calibrated_multiplier_fits_budget():
    ledger = fresh_ledger()
    plan = plan_dp_steps(ledger, 40, 500, 10_000, 20, 1, 300)
    event = PrivacyEvent(mechanism="subsampled_gaussian", measured="test",
                         noise_multiplier=plan.noise_multiplier,
                         sampling_rate=plan.sampling_rate, steps=plan.critic_steps)

    assert ledger.epsilon_if(event) <= 1.0
    assert ledger.epsilon_if(event) > 0.99


def test_auto_epochs_stop_at_target_multiplier():
    plan = plan_dp_steps(fresh_ledger(), "auto", 500, 10_000, 20, 1, 300)
    more = plan_dp_steps(fresh_ledger(), plan.epochs + 2, 500, 10_000, 20, 1, 300)

    assert 1 <= plan.epochs < 300
    assert plan.noise_multiplier <= AUTO_NOISE_MULTIPLIER
    assert more.noise_multiplier > AUTO_NOISE_MULTIPLIER


def test_auto_epochs_keep_all_with_large_budget():
    plan = plan_dp_steps(fresh_ledger(epsilon=1000.0), "auto", 500, 10_000, 20, 1, 30)

    assert plan.epochs == 30


def test_surrogate_table_follows_noisy_counts(patients):
    from genesis.generators.ctgan_dp import surrogate_table

    model = fit_dp_ctgan(patients)
    domain = model.domain_
    counts = {column.name: np.asarray(column.counts, dtype=float) for column in domain.columns}

    surrogate = surrogate_table(domain, counts, 5000, np.random.default_rng(0))
    gender = domain["gender"]
    expected = np.clip(gender.counts[: len(gender.categories)], 0, None)
    observed = surrogate["gender"].value_counts(normalize=True).reindex(list(gender.categories)).fillna(0)

    assert list(surrogate.columns) == domain.names
    assert surrogate["age"].between(domain["age"].lower, domain["age"].upper + 1).all()
    assert np.allclose(observed.to_numpy(), expected / expected.sum(), atol=0.03)
