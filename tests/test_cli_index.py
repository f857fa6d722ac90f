"""`policyqa index build|status` in-process, settings precedence, and errors as one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.config import ConfigError, load_settings
from rag.config import Settings
from ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
LLM_ENV = ("POLICYQA_LLM_BASE_URL", "POLICYQA_LLM_MODEL", "POLICYQA_LLM_API_KEY", "OPENAI_API_KEY")

DOC_A = """新乡高新区氢能产业发展规划

第一章 总体要求

第一节 发展目标
到2025年，新乡高新区氢能产业产值达到100亿元，建成加氢站5座。

第二章 重点任务
建设氢能装备制造基地，引进燃料电池整车企业。
"""
DOC_B = """河源市高新区国民经济和社会发展规划

第一章 发展基础
2020年，河源高新区规上工业总产值489.5亿元，同比增长4%。

第二章 产业体系
做大电子信息产业集群，发展新材料产业。
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./policyqa.toml


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- settings -----------------------------------------------------------------------------


def test_defaults_without_a_config_file() -> None:
    assert load_settings(None) == Settings()


def test_file_then_environment_then_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _write(
        tmp_path / "qa.toml",
        '[embedding]\nmodel = "file-model"\nbatch_size = 4\n'
        '[retrieval]\nk = 7\n[ranking]\ndense_weight = 1\n[llm]\nmodel = "file-llm"\nbase_url = "http://f"\n',
    )
    monkeypatch.setenv("POLICYQA_LLM_MODEL", "env-llm")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    settings = load_settings(config, {"embedding.model": "cli-model"})
    assert settings.embedding.model == "cli-model"
    assert settings.embedding.batch_size == 4
    assert settings.retrieval.k == 7
    assert settings.ranking.dense_weight == 1.0
    assert isinstance(settings.ranking.dense_weight, float)
    assert (settings.llm.base_url, settings.llm.model) == ("http://f", "env-llm")
    assert settings.llm.api_key == "openai-key"
    monkeypatch.setenv("POLICYQA_LLM_API_KEY", "own-key")
    assert load_settings(config).llm.api_key == "own-key"


def test_policyqa_toml_in_the_current_folder_is_the_default(tmp_path: Path) -> None:
    _write(tmp_path / "policyqa.toml", "[chunking]\nmax_chars = 800\n")
    assert load_settings(None).chunking.max_chars == 800


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[embeding]\nmodel = 'x'\n", r"qa.toml: unknown section \[embeding\]"),
        ("[retrieval]\ntop_k = 3\n", r"qa.toml: unknown key 'top_k' in \[retrieval\]"),
        ("[retrieval]\nk = '3'\n", r"qa.toml: \[retrieval\] k must be int, got str"),
        ("[retrieval]\nk = true\n", r"qa.toml: \[retrieval\] k must be int, got bool"),
        ("[retrieval]\nk = 0\n", r"retrieval.k must be positive"),
        ("[chunking]\nmax_chars = 100\noverlap_chars = 100\n", r"chunking.overlap_chars"),
        ("[retrieval\n", r"qa.toml: invalid TOML"),
    ],
)
def test_bad_settings_name_file_section_and_key(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_write(tmp_path / "qa.toml", toml))


def test_missing_config_file_and_bad_override_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="command line: unknown key 'modell'"):
        load_settings(None, {"embedding.modell": "x"})


# --- command line -------------------------------------------------------------------------


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from ui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['index', 'build', '--help'])\n"
        "heavy = {'torch', 'faiss', 'gradio', 'sentence_transformers', 'bm25s', 'jieba'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "index" in capsys.readouterr().out


def test_status_without_an_index_is_one_line_with_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", "status", "--index", str(tmp_path / "idx")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("policyqa: error: no index at")
    assert f"policyqa index build --index {tmp_path / 'idx'}" in err


def test_bad_config_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _write(tmp_path / "qa.toml", "[retrieval]\ntop_k = 3\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    assert main(["index", "build", "--config", str(config), "--docs", str(docs)]) == 2
    assert "unknown key 'top_k'" in capsys.readouterr().err


def test_build_then_status(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs / "xinxiang.txt", DOC_A)
    _write(docs / "heyuan.txt", DOC_B)
    (docs / "empty.txt").write_bytes(b"")
    config = _write(tmp_path / "qa.toml", '[embedding]\nquery_prompt = ""\npassage_prompt = ""\n')
    index = tmp_path / "idx"
    argv = ["index", "build", "--docs", str(docs), "--index", str(index)]
    argv += ["--model", str(tiny_model_dir), "--config", str(config), "-q"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "documents   2" in out
    assert "embeddings" in out and "0 reused" in out
    assert "Skipped 1 file(s):" in out and "empty.txt:" in out

    assert main(["index", "status", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert str(tiny_model_dir) in out
    assert "xinxiang.txt" in out and "heyuan.txt" in out
    assert "skipped     empty.txt" in out
