"""``make bench``: the data path against a naive baseline, on a fixed workload, in-process moto."""
