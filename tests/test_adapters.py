"""config/platform.yaml: each environment's adapters, and the located errors of a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from soh_onboarding import adapters


def test_the_committed_environments() -> None:
    assert adapters.load("local") == adapters.Adapters("local", "facade", "cloudflare")
    assert adapters.load("local-vendors") == adapters.Adapters("local-vendors", "optimizely", "cloudflare")
    assert adapters.load("production") == adapters.Adapters("production", "optimizely", "cloudflare")


def test_the_environment_comes_from_soh_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOH_ENVIRONMENT", "production")
    assert adapters.load().environment == "production"
    monkeypatch.delenv("SOH_ENVIRONMENT")
    assert adapters.load().environment == "local"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "environments: {local: {content: facade, edge: akamai}}",
            "environments.local.edge is 'akamai'; it must be one of cloudflare, none",
        ),
        (
            "environments: {local: {edge: none}}",
            "environments.local.content is None; it must be one of facade, optimizely",
        ),
        (
            "environments: {staging: {content: facade, edge: none}}",
            "no environment 'local' under environments (known: staging); set SOH_ENVIRONMENT",
        ),
        ("[not, a, mapping]", "no environment 'local' under environments (known: none)"),
        ("environments: {local: [", "cannot be read"),
    ],
)
def test_a_broken_file_is_one_located_error(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(adapters.AdaptersError) as refused:
        adapters.load("local", path)
    assert str(refused.value).startswith(f"{path}: ") and said in str(refused.value)


def test_an_edge_of_none_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text("environments: {bare: {content: facade, edge: none}}", encoding="utf-8")
    assert adapters.load("bare", path).edge == "none"
