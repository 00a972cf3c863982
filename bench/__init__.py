"""Benchmarks of lawflow's write path (engine.fire) and of audit verification; run `python bench/run.py`."""
