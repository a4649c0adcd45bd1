"""calc.dashboards: the words as data (one catalog per language) and the package's place in the layout."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from calc.dashboards import words as T

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)[^}]*\}")


def test_both_catalogs_have_the_same_keys_and_placeholders():
    zh, en = T.catalog("zh"), T.catalog("en")
    for section, entries in zh.items():
        if section == "messages":  # patterns of the core's English messages, with their Chinese wording only
            continue
        assert set(entries) == set(en[section]), section
        for key, words in entries.items():
            assert words and en[section][key], (section, key)
            assert set(PLACEHOLDER.findall(words)) == set(PLACEHOLDER.findall(en[section][key])), (section, key)
    assert set(en) == set(zh) - {"messages"}


def test_english_words_are_english_and_chinese_ones_chinese():
    han = re.compile(r"[\u4e00-\u9fff]")
    for key, words in T.catalog("zh")["text"].items():
        bare = PLACEHOLDER.sub("", words)  # {placeholders} are not words
        assert han.search(bare) or not re.search("[A-Za-z]{4,}", bare), key
    # English may quote Chinese terms (就高不重复, 万) but a label is never wholly Chinese
    for key, words in T.catalog("en")["text"].items():
        assert re.search("[A-Za-z]", words), key


def test_an_unknown_language_is_chinese_and_an_unknown_word_its_key():
    assert T.text("as_of", "fr") == T.text("as_of", "zh") == "测算日期"
    assert T.word("options", "no-such-choice", "en") == "no-such-choice"


def test_the_core_never_imports_the_dashboards():
    core = [p for p in (ROOT / "calc").rglob("*.py") if "dashboards" not in p.parts and p.name != "widgets.py"]
    assert core
    for path in core:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("calc.dashboards") for n in names), path


def test_the_old_modules_are_gone_and_the_notebooks_stay_thin():
    assert not (ROOT / "calc" / "dashboard.py").exists() and not (ROOT / "calc" / "budget_dashboard.py").exists()
    for name in ("index", "enterprise", "consortium", "budget"):
        text = (ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert "from calc.dashboards import" in text and "calc.dashboard " not in text
        assert "import pandas" not in text and "calc.entitlements(" not in text  # computing is in the package
