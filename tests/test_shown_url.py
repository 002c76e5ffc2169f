"""What error messages and logs show of an outlet URL: no credentials."""

import pytest

from core.errors import FetchError, shown_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://steppe.test/rss", "https://steppe.test/rss"),
        ("https://steppe.test/rss?lang=kk&page=2", "https://steppe.test/rss?lang=kk&page=2"),
        ("https://reader:hunter2@steppe.test/rss", "https://***@steppe.test/rss"),
        ("https://a1b2c3@steppe.test/rss", "https://***@steppe.test/rss"),
        (
            "https://steppe.test/rss?token=a1b2&lang=ru&api_key=z9&flag",
            "https://steppe.test/rss?token=***&lang=ru&api_key=***&flag",
        ),
        (
            "https://steppe.test/rss?AccessToken=q1#top",
            "https://steppe.test/rss?AccessToken=***#top",
        ),
        (
            "https://steppe.test/rss?X-Amz-Signature=ff",
            "https://steppe.test/rss?X-Amz-Signature=***",
        ),
        ("http://[::1/rss?token=a1b2", "http://[::1/rss"),  # not parseable: no query shown
    ],
)
def test_credentials_are_hidden(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_a_fetch_error_names_the_outlet_without_its_key() -> None:
    error = FetchError("steppe", "https://steppe.test/rss?key=a1b2c3", "HTTP 500")
    assert str(error) == "fetch failed: steppe 'https://steppe.test/rss?key=***': HTTP 500"
    assert error.url.endswith("key=a1b2c3")  # the adapter still fetches the real one
