"""Style retrieval (PSM): report structure, the retrieval sets, determinism, and a baseline above chance."""

from __future__ import annotations

import numpy as np
import pytest

from stito_core.bench import bench_encoders, retrieval, run_task
from stito_core.bench.retrieval import EFFECTS, PLOT, PLOT_BY_CONTENT, SIZES, random_chain, retrieval_sets, retrieve
from stito_core.encoders import load_encoder

QUICK = SIZES[True]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run with every bench encoder, plots written."""
    plot_dir = tmp_path_factory.mktemp("plots")
    return run_task("style-retrieval", quick=True, plot_dir=plot_dir), plot_dir


def test_report_has_accuracy_per_encoder_content_n_and_m(quick_run):
    report, _ = quick_run
    data = report.data
    assert report.task == "style-retrieval"
    assert data["trials_per_cell"] == 2 * QUICK.chains
    assert list(data["encoders"]) == [e.name for e in bench_encoders()]
    for name, by_kind in data["encoders"].items():
        assert set(by_kind) == {*QUICK.content, "average"}
        for kind, by_n in by_kind.items():
            assert set(by_n) == {str(n) for n in QUICK.effect_counts}
            for by_m in by_n.values():
                assert set(by_m) == {str(m) for m in QUICK.set_sizes}
                assert all(0.0 <= v <= 1.0 for v in by_m.values()), (name, kind)
    assert "| encoder | N |" in report.table and "| chance |" in report.table


def test_plots_are_pngs_in_the_plot_folder(quick_run):
    report, plot_dir = quick_run
    assert report.plots == (PLOT, PLOT_BY_CONTENT)
    for name in report.plots:
        assert (plot_dir / name).read_bytes()[:8] == PNG


def test_mfcc_beats_chance(quick_run):
    average = quick_run[0].data["encoders"]["mfcc"]["average"]
    smallest = str(min(QUICK.set_sizes))
    assert np.mean([average[str(n)][smallest] for n in QUICK.effect_counts]) >= 2 / int(smallest)


def test_a_second_run_gives_identical_numbers(quick_run, monkeypatch):
    monkeypatch.setattr(retrieval, "bench_encoders", lambda: [load_encoder("mfcc")])
    again = retrieval.run_retrieval(quick=True)
    assert again.plots == ()
    first = quick_run[0].data
    assert again.data["encoders"] == {"mfcc": first["encoders"]["mfcc"]}


def test_retrieval_sets_hold_the_partner_then_distinct_distractors_of_other_chains():
    chains, m = 8, 10
    sets = retrieval_sets(chains, m, 2, "speech")
    assert sets.shape == (2 * chains, m)
    for query, row in enumerate(sets):
        assert row[0] == query ^ 1
        assert len(set(row.tolist())) == m
        assert all(d // 2 != query // 2 for d in row[1:])
    np.testing.assert_array_equal(sets, retrieval_sets(chains, m, 2, "speech"))


def test_retrieve_scores_the_partner_against_the_distractors():
    chains = 6
    perfect = np.repeat(np.eye(chains), 2, axis=0)  # both items of chain k embed to the same vector
    sets = retrieval_sets(chains, 5, 1, "drums")
    assert retrieve(perfect, sets) == 1.0
    assert retrieve(np.eye(2 * chains), sets) == 0.0  # ties with every distractor do not count
    chain_vectors = np.random.default_rng(0).normal(size=(chains, 4))
    opposite = np.stack([chain_vectors, -chain_vectors], axis=1).reshape(2 * chains, 4)
    assert retrieve(opposite, sets) == 0.0  # the partner is the least similar item


def test_random_chains_draw_n_distinct_pool_effects_deterministically():
    chain, values = random_chain(4, "singing", 3)
    names = [slot.effect.name for slot in chain.slots]
    assert len(names) == len(set(names)) == 4 and set(names) <= set(EFFECTS)
    assert values.shape == (len(chain.parameters),) and np.all((values >= 0) & (values <= 1))
    again_chain, again = random_chain(4, "singing", 3)
    assert [s.effect.name for s in again_chain.slots] == names and np.array_equal(values, again)
