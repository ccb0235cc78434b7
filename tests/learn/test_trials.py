"""The trials of training with no options (pcz.learn.trials): the smoothing ladder, the budget."""
import pytest

from pcz.learn.trials import smoothing_trials


def scored(scores, calls):
    def run(smooth):
        calls.append(smooth)
        return "params", [{"valid_bpd": scores[smooth[0]]}]
    return run


@pytest.mark.parametrize("scores, K, tried", [
    ({0.0: 3.0, 1.0: 2.5, 2.0: 2.6, 4.0: 1.0}, 256, [0.0, 1.0, 2.0]),   # 2 is worse than 1: 4 not tried
    ({0.0: 3.0, 1.0: 2.5, 2.0: 2.4, 4.0: 2.3}, 256, [0.0, 1.0, 2.0, 4.0]),
    ({0.0: 2.0, 1.0: 2.5, 2.0: 2.4, 4.0: 2.3}, 256, [0.0, 1.0, 2.0, 4.0]),
    ({0.0: 1.0}, 2, [0.0])])                                               # two values: no smoothing
def test_smoothing_ladder_stops_at_the_first_wider_kernel_that_does_worse(scores, K, tried):
    calls = []
    trials = smoothing_trials(scored(scores, calls), K)
    assert [c[0] for c in calls] == tried and [c[1] for c in calls] == [float(s > 0) for s in tried]
    assert min(trials, key=lambda t: t[0])[1][0] == min(tried, key=scores.get)


def test_no_further_smoothing_trial_starts_once_the_budget_has_run_out():
    """Past the deadline the ladder stops after the trial it has (known ones still count), so a
    budget that the trials' compiling alone overruns (a GPU's first epochs) is not overrun further."""
    scores, calls = {0.0: 3.0, 1.0: 2.5, 2.0: 2.4, 4.0: 2.3}, []
    trials = smoothing_trials(scored(scores, calls), 256, late=lambda: True)
    assert [c[0] for c in calls] == [0.0] and len(trials) == 1
    calls.clear()
    known = {(1.0, 1.0): (2.5, (1.0, 1.0), "params", [])}
    trials = smoothing_trials(scored(scores, calls), 256, known, late=lambda: len(calls) > 0)
    assert [c[0] for c in calls] == [0.0] and [t[1][0] for t in trials] == [0.0, 1.0]
