"""Worker processes share the cores: each forked worker's numba kernel gets its share."""

import numba

from moodtwin.workers import cores, process_map, threads_per_worker


def _kernel_threads(_: int) -> int:
    return numba.get_num_threads()


def _square(x: int) -> int:
    return x * x


def test_each_worker_kernel_uses_its_share_of_the_cores():
    assert process_map(_kernel_threads, [0, 1, 2, 3], 2) == [threads_per_worker(2)] * 4
    assert threads_per_worker(2) == max(1, cores() // 2)


def test_process_map_keeps_the_order_of_its_items():
    assert process_map(_square, list(range(7)), 2) == [x * x for x in range(7)]
    assert process_map(_square, [3], 4) == [9]  # one item: no pool
