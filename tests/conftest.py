from prosocial.experiments.compilation import cpu_workarounds

cpu_workarounds()  # as the command does, before JAX makes its backend

import jax  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")
