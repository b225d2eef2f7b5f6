"""Language identification under concurrency (check runs detect text in many threads)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from archiver.detect import language


def test_first_use_from_many_threads_at_once():
    # Seen under `archiver check --concurrency 64`: loading the model from several
    # threads at once crashed inside numpy's header parser.
    language._load.cache_clear()
    texts = ["Questa sera quattro droni azeri sono stati abbattuti dal sistema missilistico",
             "Why has Turkey returned to the South Caucasus 100 years later? To continue"] * 16
    with ThreadPoolExecutor(max_workers=32) as pool:
        found = list(pool.map(language.language_of, texts))
    assert found == ["it", "en"] * 16
