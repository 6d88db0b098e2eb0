"""XLA's CPU workarounds of the command: each flag added once, a user's own setting kept."""

from prosocial.experiments.compilation import CPU_WORKAROUNDS, cpu_workarounds

BOTH = " ".join(CPU_WORKAROUNDS)


def test_workarounds_add_each_flag_once_and_keep_the_users():
    env = {}
    assert cpu_workarounds(env) == BOTH
    assert cpu_workarounds(env) == BOTH  # idempotent
    env = {"XLA_FLAGS": "--foo=1 --xla_cpu_enable_concurrency_optimized_scheduler=true"}
    users = env["XLA_FLAGS"]
    flags = cpu_workarounds(env)
    assert "scheduler=false" not in flags  # the user's choice stands
    assert flags == f"{users} {CPU_WORKAROUNDS[1]}"
    users = "--xla_cpu_experimental_ynn_fusion_type=dot"
    assert cpu_workarounds({"XLA_FLAGS": users}) == f"{users} {CPU_WORKAROUNDS[0]}"
    env = {"XLA_FLAGS": "--foo=1"}
    assert cpu_workarounds(env) == f"--foo=1 {BOTH}"
