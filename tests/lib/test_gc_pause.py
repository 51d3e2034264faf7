import gc
import threading

from aicall.lib.gc_pause import cyclic_gc_paused


def test_collector_is_off_inside_and_restored_after_an_error():
    assert gc.isenabled()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
            raise ValueError("the import failed")
    except ValueError:
        pass
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads_restore_the_collector_once_both_end():
    first_inside, second_done = threading.Event(), threading.Event()
    seen_by_first_after_second: list[bool] = []

    def first() -> None:
        with cyclic_gc_paused():
            first_inside.set()
            second_done.wait(5)
            seen_by_first_after_second.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5)
    with cyclic_gc_paused():
        pass
    second_done.set()
    thread.join(5)
    assert seen_by_first_after_second == [False]  # the second one out did not re-enable it
    assert gc.isenabled()


def test_a_collector_disabled_beforehand_stays_disabled():
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
