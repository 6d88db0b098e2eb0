"""XLA's CPU workaround of the command: the flag added once, a user's own setting kept."""

from prosocial.experiments.compilation import CPU_WORKAROUND, cpu_scheduler_workaround


def test_workaround_adds_the_flag_once_and_keeps_the_users():
    env = {}
    assert cpu_scheduler_workaround(env) == CPU_WORKAROUND
    assert cpu_scheduler_workaround(env) == CPU_WORKAROUND  # idempotent
    env = {"XLA_FLAGS": "--foo=1 --xla_cpu_enable_concurrency_optimized_scheduler=true"}
    assert cpu_scheduler_workaround(env) == env["XLA_FLAGS"]  # the user's choice stands
    assert "=false" not in env["XLA_FLAGS"]
    env = {"XLA_FLAGS": "--foo=1"}
    assert cpu_scheduler_workaround(env) == f"--foo=1 {CPU_WORKAROUND}"
