import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.domain import Domain
from genesis.errors import (
    ConfigError,
    InvalidDataError,
    MissingDependencyError,
    NotFittedError,
)
from genesis.generators.base import generator_class
from genesis.generators.ctgan import CTGANGenerator
from genesis.generators.ctgan_conditions import ConditionSampler
from genesis.generators.ctgan_config import (
    AUTO_MAX_STEPS,
    AUTO_MAX_WORK,
    effective_batch_size,
    estimate_step_work,
    resolve_epochs,
)
from genesis.generators.ctgan_encoding import TableEncoder
from genesis.schema import infer
from genesis.transforms.mode_normalization import ModeNormalizer

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"

TINY = {"epochs": 2, "batch_size": 40, "pac": 4, "embedding_dim": 8, "generator_dim": [16, 16],
        "discriminator_dim": [16]}


def canonical(frame: pd.DataFrame, discrete: list[str] | tuple[str, ...] = ()) -> tuple[pd.DataFrame, Domain]:
    schema = infer(frame, discrete_columns=list(discrete))
    canon = schema.to_canonical(frame)
    return canon, Domain.from_data(canon, schema)


def patients(n: int = 300) -> tuple[pd.DataFrame, Domain]:
    frame = patient_table(n, random_state=7).drop(columns="patient_id")
    return canonical(frame, PATIENT_DISCRETE_COLUMNS)


def fit_tiny(canon: pd.DataFrame, domain: Domain, seed: int = 0, **config) -> CTGANGenerator:
    return CTGANGenerator({**TINY, **config}).fit(canon, domain, None, np.random.default_rng(seed))


def assert_output_contract(synthetic: pd.DataFrame, domain: Domain, n: int) -> None:
    assert list(synthetic.columns) == domain.names
    assert len(synthetic) == n
    for column in domain.columns:
        values = synthetic[column.name]
        if not column.nullable:
            assert not values.isna().any(), column.name
        observed = values.dropna()
        if column.is_discrete:
            assert set(observed).issubset(set(column.categories)), column.name
        else:
            assert values.dtype == float
            assert ((observed >= column.lower) & (observed <= column.upper)).all(), column.name


# ----------------------------------------------------------------- registry and config


def test_registered_as_ctgan():
    assert generator_class("ctgan") is CTGANGenerator


def test_default_config_is_valid():
    model = CTGANGenerator()

    assert model.config["epochs"] == "auto"
    assert model.config["torch_threads"] == 1


def test_unknown_config_key_rejected():
    with pytest.raises(ConfigError, match="learning_rate"):
        CTGANGenerator({"learning_rate": 0.1})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("epochs", 0), ("epochs", "many"), ("epochs", 2.5), ("epochs", True), ("batch_size", 0),
        ("generator_lr", 0.0), ("discriminator_lr", -1.0), ("generator_lr", float("nan")),
        ("generator_decay", -1e-6), ("discriminator_decay", "x"), ("embedding_dim", 0),
        ("generator_dim", [256, 0]), ("generator_dim", 256), ("discriminator_dim", []),
        ("pac", 0), ("discriminator_steps", 0), ("log_frequency", 1), ("max_modes", 0),
        ("torch_threads", 0), ("verbose", "yes"), ("ema_decay", 1.0), ("ema_decay", -0.1),
    ],
)
def test_invalid_config_value_names_key(key, value):
    with pytest.raises(ConfigError, match=f"'{key}'") as raised:
        CTGANGenerator({key: value})

    assert "Use" in str(raised.value)


def test_batch_size_below_pac_rejected():
    with pytest.raises(ConfigError, match="at least pac=10"):
        CTGANGenerator({"batch_size": 5, "pac": 10})


def test_empty_generator_dim_allowed():
    assert CTGANGenerator({"generator_dim": []}).config["generator_dim"] == []


@pytest.mark.parametrize(
    ("batch_size", "pac", "n_rows", "expected"),
    [(500, 10, 10_000, 500), (505, 10, 10_000, 500), (500, 10, 37, 30), (500, 10, 1, 10),
     (500, 1, 1, 2), (500, 1, 3, 3), (20, 10, 5, 10)],
)
def test_effective_batch_size(batch_size, pac, n_rows, expected):
    assert effective_batch_size(batch_size, pac, n_rows) == expected


def test_resolve_epochs_honours_integer():
    assert resolve_epochs(7, 1000, 1e12) == 7


def test_resolve_epochs_auto_caps():
    assert resolve_epochs("auto", 20, 1e6) == 300
    assert resolve_epochs("auto", 1, 1e6) == 300
    assert resolve_epochs("auto", 204, 1e6) == -(-AUTO_MAX_STEPS // 204)
    assert resolve_epochs("auto", 204, 1e10) == int(AUTO_MAX_WORK // (204 * 1e10))
    assert resolve_epochs("auto", 10**9, 1e6) == 1


def test_estimate_step_work_counts_layers():
    config = {**CTGANGenerator.default_config, "embedding_dim": 2, "generator_dim": [3],
              "discriminator_dim": [4], "pac": 2, "discriminator_steps": 1}

    work = estimate_step_work(config, batch_size=10, width=5)

    generator = 10 * (2 * 3 + 5 * 5)
    critic = 5 * (10 * 4 + 4 * 1)
    assert work == 3 * generator + 11 * critic


def test_patient_table_gets_300_auto_epochs():
    config = CTGANGenerator.default_config

    epochs = resolve_epochs("auto", 20, estimate_step_work(config, 500, 58))

    assert epochs == 300


# ---------------------------------------------------------------- without torch


def test_import_and_errors_without_torch():
    script = textwrap.dedent(
        """
        import sys

        class BlockTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, BlockTorch())
        import genesis.generators.ctgan as ctgan
        from genesis.errors import MissingDependencyError
        try:
            ctgan.CTGANGenerator({"epochs": 1})
        except MissingDependencyError as error:
            print(error)
        print("torch imported:", "torch" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert 'pip install "genesis-synth[pytorch]"' in result.stdout
    assert "torch imported: False" in result.stdout


def test_fit_without_torch_raises(monkeypatch):
    pytest.importorskip("torch")
    model = CTGANGenerator(TINY)
    canon, domain = patients(50)
    monkeypatch.setitem(sys.modules, "torch", None)

    with pytest.raises(MissingDependencyError, match=r"genesis-synth\[pytorch\]"):
        model.fit(canon, domain, None, np.random.default_rng(0))


# --------------------------------------------------------------------- encoding


def test_encoder_round_trip_with_missing_values():
    frame = pd.DataFrame({
        "cost": [1.0, 2.0, np.nan, 4.0, 5.0, np.nan],
        "color": ["red", None, "blue", "red", "blue", "red"],
        "flag": [True, False, True, True, False, False],
    })
    canon, domain = canonical(frame, ["color"])
    normalizers = {"cost": ModeNormalizer.fit([1.0, 2.0, 4.0, 5.0], column="cost")}
    encoder = TableEncoder(domain, normalizers)

    matrix, codes = encoder.encode(canon, np.random.default_rng(0))
    decoded = encoder.decode(matrix)

    pd.testing.assert_frame_equal(decoded, canon, check_dtype=False)
    assert matrix.dtype == np.float32
    assert matrix.shape == (6, encoder.width)
    assert codes.shape == (6, len(encoder.conditional_blocks))


def test_encoder_layout_puts_alpha_first():
    canon, domain = patients(100)
    rng = np.random.default_rng(0)
    normalizers = {c.name: ModeNormalizer.fit(canon[c.name], rng=rng)
                   for c in domain.columns if not c.is_discrete}
    encoder = TableEncoder(domain, normalizers)

    matrix, _ = encoder.encode(canon, rng)

    assert encoder.n_alpha == 3
    assert encoder.blocks[0].start == 3
    for block in encoder.blocks:
        assert np.all(matrix[:, block.start: block.start + block.size].sum(axis=1) == 1.0)
    roles = {(b.column, b.role) for b in encoder.conditional_blocks}
    assert roles == {("gender", "categories"), ("zip_code", "categories"), ("condition", "categories"),
                     ("treatment", "categories")}


def test_encoder_clips_decoded_values_to_domain():
    canon, domain = canonical(pd.DataFrame({"x": np.linspace(0.0, 1.0, 50)}))
    encoder = TableEncoder(domain, {"x": ModeNormalizer([0.5], [10.0], [1.0])})
    matrix = np.array([[1.0, 1.0], [-1.0, 1.0]], dtype=np.float32)

    decoded = encoder.decode(matrix)

    assert decoded["x"].tolist() == [1.0, 0.0]


# ------------------------------------------------------------------- conditions


def test_condition_sampler_rows_satisfy_conditions():
    codes = np.array([[0, 2], [1, 0], [1, 1], [0, 2], [1, 2]])
    sampler = ConditionSampler.from_codes(codes, [2, 3], log_frequency=True)

    conditions, rows = sampler.sample_training(5000, np.random.default_rng(0))

    blocks = sampler.block_of_category[conditions]
    local = conditions - sampler.block_starts[blocks]
    assert np.array_equal(codes[rows, blocks], local)


def test_condition_sampler_training_uses_log_frequency():
    codes = np.concatenate([np.zeros(90, dtype=np.int64), np.ones(10, dtype=np.int64)])[:, None]
    sampler = ConditionSampler.from_codes(codes, [2], log_frequency=True)

    conditions, _ = sampler.sample_training(40_000, np.random.default_rng(1))

    expected = np.log1p(90) / (np.log1p(90) + np.log1p(10))
    assert np.mean(conditions == 0) == pytest.approx(expected, abs=0.01)


def test_condition_sampler_generation_uses_frequency():
    codes = np.concatenate([np.zeros(90, dtype=np.int64), np.ones(10, dtype=np.int64)])[:, None]
    sampler = ConditionSampler.from_codes(codes, [2], log_frequency=True)

    conditions = sampler.sample_generation(40_000, np.random.default_rng(2))

    assert np.mean(conditions == 0) == pytest.approx(0.9, abs=0.01)


def test_condition_sampler_picks_blocks_uniformly():
    codes = np.array([[0, 3], [0, 3], [2, 3]])
    sampler = ConditionSampler.from_codes(codes, [3, 4], log_frequency=False)

    conditions = sampler.sample_generation(30_000, np.random.default_rng(3))

    assert np.mean(sampler.block_of_category[conditions] == 0) == pytest.approx(0.5, abs=0.01)


def test_condition_sampler_skips_empty_categories():
    codes = np.array([[0, 3], [0, 3], [2, 3]])
    sampler = ConditionSampler.from_codes(codes, [3, 4], log_frequency=True)

    training, _ = sampler.sample_training(30_000, np.random.default_rng(3))
    generation = sampler.sample_generation(30_000, np.random.default_rng(3))

    assert set(np.unique(training)) == {0, 2, 6}
    assert set(np.unique(generation)) == {0, 2, 6}


def test_condition_sampler_dict_round_trip():
    codes = np.array([[0, 2], [1, 0], [1, 1]])
    sampler = ConditionSampler.from_codes(codes, [2, 3], log_frequency=True)

    restored = ConditionSampler.from_dict(json.loads(json.dumps(sampler.to_dict())))

    first = sampler.sample_generation(100, np.random.default_rng(4))
    assert np.array_equal(restored.sample_generation(100, np.random.default_rng(4)), first)
    with pytest.raises(RuntimeError, match="no row index"):
        restored.sample_training(10, np.random.default_rng(0))


# --------------------------------------------------------------- network pieces


def test_output_activation_matches_per_block_softmax():
    torch = pytest.importorskip("torch")
    from genesis.generators import ctgan_networks

    activation = ctgan_networks.OutputActivation(2, [3, 1, 4])
    raw = torch.randn(6, 10)

    output = activation(raw, torch.Generator().manual_seed(0))

    uniform = torch.rand(6, 8, generator=torch.Generator().manual_seed(0)).clamp(1e-10, 1 - 1e-7)
    logits = (raw[:, 2:] - torch.log(-torch.log(uniform))) / ctgan_networks.GUMBEL_TEMPERATURE
    blocks = [torch.softmax(part, dim=1) for part in torch.split(logits, [3, 1, 4], dim=1)]
    expected = torch.cat([torch.tanh(raw[:, :2]), *blocks], dim=1)
    torch.testing.assert_close(output, expected)


def test_condition_loss_matches_cross_entropy():
    torch = pytest.importorskip("torch")
    from genesis.generators import ctgan_networks

    activation = ctgan_networks.OutputActivation(1, [2, 3])
    raw = torch.randn(4, 6)
    columns = torch.tensor([1, 2, 4, 5])
    blocks = torch.tensor([0, 0, 1, 1])

    loss = ctgan_networks.condition_loss(raw, activation, columns, blocks)

    expected = torch.stack([
        torch.nn.functional.cross_entropy(raw[0:1, 1:3], torch.tensor([0])),
        torch.nn.functional.cross_entropy(raw[1:2, 1:3], torch.tensor([1])),
        torch.nn.functional.cross_entropy(raw[2:3, 3:6], torch.tensor([1])),
        torch.nn.functional.cross_entropy(raw[3:4, 3:6], torch.tensor([2])),
    ]).mean()
    torch.testing.assert_close(loss, expected)


def test_conditional_linear_equals_linear_on_concatenation():
    torch = pytest.importorskip("torch")
    from genesis.generators import ctgan_networks

    layer = ctgan_networks.ConditionalLinear(3, 4, 5)
    dense = torch.randn(6, 3)
    conditions = torch.tensor([0, 3, 1, 2, 2, 0])

    output = layer(dense, conditions)

    one_hot = torch.nn.functional.one_hot(conditions, 4).float()
    weight = torch.cat([layer.linear.weight, layer.condition.weight.t()], dim=1)
    expected = torch.nn.functional.linear(torch.cat([dense, one_hot], dim=1), weight, layer.linear.bias)
    torch.testing.assert_close(output, expected)


# -------------------------------------------------------------------- fit/sample


def test_sample_output_contract():
    pytest.importorskip("torch")
    canon, domain = patients()
    model = fit_tiny(canon, domain)

    synthetic = model.sample(123, np.random.default_rng(1))

    assert_output_contract(synthetic, domain, 123)


def test_sample_zero_rows():
    pytest.importorskip("torch")
    canon, domain = patients(60)
    model = fit_tiny(canon, domain)

    synthetic = model.sample(0, np.random.default_rng(1))

    assert list(synthetic.columns) == domain.names
    assert len(synthetic) == 0


@pytest.mark.parametrize("n", [-1, 2.5, "10", True])
def test_sample_rejects_invalid_n(n):
    pytest.importorskip("torch")
    canon, domain = patients(60)
    model = fit_tiny(canon, domain)

    with pytest.raises(ConfigError, match="'n'|n is"):
        model.sample(n, np.random.default_rng(1))


def test_sample_before_fit_raises():
    pytest.importorskip("torch")
    with pytest.raises(NotFittedError):
        CTGANGenerator(TINY).sample(5, np.random.default_rng(0))
    with pytest.raises(NotFittedError):
        CTGANGenerator(TINY).get_state()


def test_same_seed_same_output():
    pytest.importorskip("torch")
    canon, domain = patients()

    first = fit_tiny(canon, domain, seed=3).sample(200, np.random.default_rng(4))
    second = fit_tiny(canon, domain, seed=3).sample(200, np.random.default_rng(4))

    pd.testing.assert_frame_equal(first, second)


def test_different_seed_different_output():
    pytest.importorskip("torch")
    canon, domain = patients()

    first = fit_tiny(canon, domain, seed=3).sample(200, np.random.default_rng(4))
    second = fit_tiny(canon, domain, seed=5).sample(200, np.random.default_rng(4))

    assert not first.equals(second)


def test_global_random_state_untouched():
    torch = pytest.importorskip("torch")
    canon, domain = patients(100)
    torch_state = torch.random.get_rng_state().clone()
    numpy_state = np.random.get_state()[1].copy()

    fit_tiny(canon, domain).sample(50, np.random.default_rng(0))

    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state)


def test_torch_threads_restored():
    torch = pytest.importorskip("torch")
    canon, domain = patients(100)
    previous = torch.get_num_threads()
    seen = []

    model = CTGANGenerator({**TINY, "torch_threads": 1})
    model.fit(canon, domain, None, np.random.default_rng(0),
              progress=lambda done, total: seen.append(torch.get_num_threads()))

    assert seen == [1, 1]
    assert torch.get_num_threads() == previous


def test_progress_called_once_per_epoch():
    pytest.importorskip("torch")
    canon, domain = patients(100)
    calls = []

    CTGANGenerator({**TINY, "epochs": 3}).fit(canon, domain, None, np.random.default_rng(0),
                                              progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_weight_average_differs_from_last_weights():
    torch = pytest.importorskip("torch")
    canon, domain = patients(100)

    averaged = fit_tiny(canon, domain, ema_decay=0.9).network_
    last = fit_tiny(canon, domain, ema_decay=0.0).network_

    assert not torch.equal(averaged.output.linear.weight, last.output.linear.weight)
    assert not averaged.output.linear.weight.requires_grad


def test_weight_average_ramps_decay():
    torch = pytest.importorskip("torch")
    from genesis.generators import ctgan_networks, ctgan_training

    network = ctgan_networks.Generator(4, 0, [3], 2)
    before = network.output.linear.weight.detach().clone()
    average = ctgan_training.WeightAverage(network, 0.995)

    with torch.no_grad():
        network.output.linear.weight.fill_(1.0)
    average.update()

    # The first update uses decay min(0.995, 2 / 11).
    expected = (2 / 11) * before + (9 / 11) * torch.ones_like(before)
    torch.testing.assert_close(average.network.output.linear.weight, expected)


def test_weight_average_zero_decay_keeps_network():
    pytest.importorskip("torch")
    from genesis.generators import ctgan_networks, ctgan_training

    network = ctgan_networks.Generator(4, 0, [3], 2)

    assert ctgan_training.WeightAverage(network, 0.0).network is network


def test_verbose_logs_losses(caplog):
    pytest.importorskip("torch")
    canon, domain = patients(100)

    with caplog.at_level(logging.INFO, logger="genesis.generators.ctgan_training"):
        fit_tiny(canon, domain, verbose=True)

    assert "CTGAN epoch 2/2: critic loss" in caplog.text


def test_quiet_by_default(caplog):
    pytest.importorskip("torch")
    canon, domain = patients(100)

    with caplog.at_level(logging.INFO, logger="genesis.generators.ctgan_training"):
        fit_tiny(canon, domain)

    assert "CTGAN epoch" not in caplog.text


def test_mismatched_columns_rejected():
    pytest.importorskip("torch")
    canon, domain = patients(50)

    with pytest.raises(InvalidDataError, match="do not match"):
        CTGANGenerator(TINY).fit(canon[domain.names[::-1]], domain, None, np.random.default_rng(0))


def test_batch_size_lowered_for_small_table(caplog):
    pytest.importorskip("torch")
    canon, domain = patients(30)

    with caplog.at_level(logging.INFO, logger="genesis.generators.ctgan"):
        model = fit_tiny(canon, domain, batch_size=500)

    assert model.batch_size_ == 28
    assert "batch_size=28 instead of 500" in caplog.text


# ------------------------------------------------------------------------ state


def test_state_round_trip_samples_identically():
    pytest.importorskip("torch")
    canon, domain = patients()
    model = fit_tiny(canon, domain)

    state, arrays = model.get_state()
    restored = CTGANGenerator.from_state(model.config, json.loads(json.dumps(state)), arrays)

    assert all(isinstance(value, np.ndarray) for value in arrays.values())
    assert all(key.startswith("generator.") for key in arrays)
    pd.testing.assert_frame_equal(restored.sample(300, np.random.default_rng(9)),
                                  model.sample(300, np.random.default_rng(9)))


def test_state_holds_no_training_rows():
    pytest.importorskip("torch")
    canon, domain = patients()
    model = fit_tiny(canon, domain)

    state, arrays = model.get_state()

    assert "rows_by_category" not in json.dumps(state)
    assert all(len(value) != len(canon) for value in arrays.values() if value.ndim)


# ------------------------------------------------------------------- edge cases


def test_all_null_columns():
    pytest.importorskip("torch")
    frame = pd.DataFrame({
        "empty_number": pd.Series([np.nan] * 40, dtype=float),
        "empty_category": pd.Series([None] * 40, dtype=object),
        "x": np.arange(40.0),
    })
    canon, domain = canonical(frame, ["empty_category"])
    model = fit_tiny(canon, domain)

    synthetic = model.sample(50, np.random.default_rng(0))

    assert_output_contract(synthetic, domain, 50)
    assert synthetic["empty_number"].isna().all()
    assert synthetic["empty_category"].isna().all()


def test_constant_columns():
    pytest.importorskip("torch")
    frame = pd.DataFrame({"number": [4.0] * 30, "category": ["a"] * 30, "x": np.arange(30.0)})
    canon, domain = canonical(frame, ["category"])
    model = fit_tiny(canon, domain)

    synthetic = model.sample(40, np.random.default_rng(0))

    assert_output_contract(synthetic, domain, 40)
    assert (synthetic["number"] == 4.0).all()
    assert (synthetic["category"] == "a").all()


@pytest.mark.parametrize("n_rows", [1, 2])
def test_one_and_two_row_tables(n_rows):
    pytest.importorskip("torch")
    frame = pd.DataFrame({"age": [30, 40][:n_rows], "sex": ["F", "M"][:n_rows]})
    canon, domain = canonical(frame, ["sex"])
    model = fit_tiny(canon, domain)

    synthetic = model.sample(10, np.random.default_rng(0))

    assert_output_contract(synthetic, domain, 10)


def test_boolean_column():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"smoker": rng.random(80) < 0.3, "x": rng.normal(size=80)})
    canon, domain = canonical(frame)
    model = fit_tiny(canon, domain)

    synthetic = model.sample(60, np.random.default_rng(1))

    assert_output_contract(synthetic, domain, 60)
    assert set(synthetic["smoker"]).issubset({True, False})


def test_nullable_integers_with_missing():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    values = pd.array(rng.integers(0, 50, 100), dtype="Int64")
    values[rng.random(100) < 0.3] = pd.NA
    frame = pd.DataFrame({"visits": values, "group": rng.choice(["a", "b"], 100)})
    canon, domain = canonical(frame, ["group"])
    model = fit_tiny(canon, domain)

    synthetic = model.sample(100, np.random.default_rng(1))

    assert domain["visits"].nullable
    assert_output_contract(synthetic, domain, 100)


def test_datetime_column():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, 80), unit="D")
    frame = pd.DataFrame({"admitted": stamps, "ward": rng.choice(["a", "b", "c"], 80)})
    canon, domain = canonical(frame, ["ward"])
    model = fit_tiny(canon, domain)

    synthetic = model.sample(50, np.random.default_rng(1))

    assert_output_contract(synthetic, domain, 50)


def test_two_distinct_numeric_values():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"dose": rng.choice([10.0, 20.0], 80), "ward": rng.choice(["a", "b"], 80)})
    canon, domain = canonical(frame, ["ward"])
    model = fit_tiny(canon, domain)

    synthetic = model.sample(50, np.random.default_rng(1))

    assert_output_contract(synthetic, domain, 50)
    assert domain["dose"].lower == 10.0


def test_only_numeric_columns():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    canon, domain = canonical(pd.DataFrame({"a": rng.normal(size=60), "b": rng.exponential(size=60)}))
    model = fit_tiny(canon, domain)

    synthetic = model.sample(30, np.random.default_rng(1))

    assert model.sampler_ is None
    assert_output_contract(synthetic, domain, 30)


@pytest.mark.slow
def test_learns_marginals_and_missing_rate():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    n = 2000
    group = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    value = np.where(group == "a", rng.normal(0, 1, n), rng.normal(10, 1, n))
    value[rng.random(n) < 0.25] = np.nan
    canon, domain = canonical(pd.DataFrame({"group": group, "value": value}), ["group"])
    model = CTGANGenerator({"epochs": 60, "batch_size": 200})
    model.fit(canon, domain, None, np.random.default_rng(0))

    synthetic = model.sample(4000, np.random.default_rng(1))

    assert synthetic["value"].isna().mean() == pytest.approx(0.25, abs=0.08)
    shares = synthetic["group"].value_counts(normalize=True)
    assert shares["a"] == pytest.approx(0.6, abs=0.1)
    assert shares["c"] == pytest.approx(0.1, abs=0.06)


def test_mixed_table_fixture(mixed_table):
    pytest.importorskip("torch")
    canon, domain = canonical(mixed_table, ["zip"])
    model = fit_tiny(canon, domain)

    synthetic = model.sample(80, np.random.default_rng(1))

    assert_output_contract(synthetic, domain, 80)


def test_diabetes_sample_with_icd_codes():
    pytest.importorskip("torch")
    frame = pd.read_csv(DATA / "diabetes_sample.csv").drop(columns=["encounter_id", "patient_nbr"])
    canon, domain = canonical(frame)
    model = fit_tiny(canon, domain, epochs=1)

    synthetic = model.sample(150, np.random.default_rng(1))

    assert_output_contract(synthetic, domain, 150)


@pytest.mark.slow
@pytest.mark.datasets
def test_full_adult_table_one_epoch():
    pytest.importorskip("torch")
    path = SHARED_DATASETS / "adult.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    canon, domain = canonical(pd.read_csv(path))
    model = CTGANGenerator({"epochs": 1}).fit(canon, domain, None, np.random.default_rng(0))

    synthetic = model.sample(1000, np.random.default_rng(1))

    assert_output_contract(synthetic, domain, 1000)
