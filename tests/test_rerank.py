"""Cross-encoder reranking with a tiny real BERT cross-encoder whose scores are known by hand.

The model is built in code: one character per token, and weights set so that the score of a
(question, passage) pair depends only on the share `p` of one marker character among the
pair's tokens. Every token embeds as b = √2·(1, −1, 0, 0), the marker as a = √2·(0, 0, 1, −1);
attention is uniform (zero queries and keys) with identity values, the feed-forward block adds
nothing, so the [CLS] state is the layer-normed (2 − p)·b + p·a, and

    score = sigmoid(W · tanh(2√2·p / √((2 − p)² + p²)) + B).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from index.rerank import RerankerError, load_reranker
from index.service import QAService
from index.store import open_index
from tests.small_corpus import build_small_index
from tests.tiny_model import char_vocabulary

MARK = "钒"  # in one passage of the small corpus only (襄阳 钒储能产业园)
W, B = 4.0, -1.0  # classifier weight and bias
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


def build_cross_encoder(folder: Path, num_labels: int = 1) -> Path:
    """Save the hand-weighted character-level BertForSequenceClassification into `folder`."""
    import torch
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for ch in char_vocabulary():
        vocab.setdefault(ch, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex("."), "isolated")]
    )
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=4,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=4,
        max_position_embeddings=512,
        num_labels=num_labels,
    )
    model = BertForSequenceClassification(config).eval()
    root2 = math.sqrt(2)
    with torch.no_grad():
        for param in model.parameters():
            param.zero_()
        embeddings, layer = model.bert.embeddings, model.bert.encoder.layer[0]
        embeddings.word_embeddings.weight[:] = torch.tensor([root2, -root2, 0.0, 0.0])
        embeddings.word_embeddings.weight[vocab[MARK]] = torch.tensor([0.0, 0.0, root2, -root2])
        norms = (embeddings.LayerNorm, layer.attention.output.LayerNorm, layer.output.LayerNorm)
        for norm in norms:
            norm.weight.fill_(1.0)
        layer.attention.self.value.weight.copy_(torch.eye(4))
        layer.attention.output.dense.weight.copy_(torch.eye(4))
        model.bert.pooler.dense.weight[0] = torch.tensor([0.0, 0.0, 1.0, -1.0])
        model.classifier.weight[0, 0] = W
        model.classifier.bias[0] = B
    model.save_pretrained(folder)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=512,
    )
    fast.save_pretrained(folder)
    return folder


def expected_score(question: str, text: str) -> float:
    """The score worked out by hand (module docstring); [CLS] and two [SEP] count as tokens."""
    tokens = sum(not ch.isspace() for ch in question + text) + 3  # whitespace is no token
    p = text.count(MARK) / tokens
    pooled = math.tanh(2 * math.sqrt(2) * p / math.sqrt((2 - p) ** 2 + p**2))
    return 1 / (1 + math.exp(-(W * pooled + B)))


@pytest.fixture(scope="module")
def reranker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_cross_encoder(tmp_path_factory.mktemp("cross-encoder"))


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> tuple:
    return build_small_index(tmp_path_factory.mktemp("small"), tiny_model_dir)


def test_an_empty_name_turns_reranking_off() -> None:
    assert load_reranker("") is None
    assert load_reranker("  ") is None


def test_scores_are_the_hand_computed_ones_in_input_order(reranker_dir: Path) -> None:
    rerank = load_reranker(str(reranker_dir))
    assert rerank is not None
    question = "储能产业"
    texts = ["没有标记的段落", "钒钒", "钒储能", "一段更长的文字，其中只有一个钒字"]
    scores = rerank(question, texts)
    assert scores == pytest.approx([expected_score(question, t) for t in texts], abs=1e-6)
    assert all(isinstance(s, float) for s in scores)
    assert scores[1] > scores[2] > scores[3] > scores[0]
    assert rerank(question, texts) == scores
    assert rerank(question, texts[::-1]) == pytest.approx(scores[::-1], abs=1e-6)
    one_by_one = load_reranker(str(reranker_dir), batch_size=1)
    assert one_by_one is not None
    assert one_by_one(question, texts) == pytest.approx(scores, abs=1e-6)
    assert rerank(question, []) == []


def test_the_reranker_moves_the_marked_passage_to_rank_1(
    small_index: tuple, reranker_dir: Path
) -> None:
    index_dir, settings = small_index
    index = open_index(index_dir)
    question = "氢能产业有什么规划"
    plain = QAService(index, settings).retrieve(question)
    assert MARK not in plain.hits[0].chunk.index_text
    assert any(MARK in h.chunk.index_text for h in plain.hits[1:])

    retrieval = dataclasses.replace(settings.retrieval, reranker=str(reranker_dir))
    reranked = QAService(index, dataclasses.replace(settings, retrieval=retrieval))
    hits = reranked.retrieve(question).hits
    assert MARK in hits[0].chunk.index_text
    assert hits[0].score == pytest.approx(expected_score(question, hits[0].chunk.index_text))
    head = hits[: retrieval.rerank_depth]
    assert [h.score for h in head] == sorted((h.score for h in head), reverse=True)
    assert {h.chunk.chunk_id for h in hits} == {h.chunk.chunk_id for h in plain.hits}


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-reranker"
    with pytest.raises(RerankerError, match="no-such-reranker") as caught:
        load_reranker(str(missing))
    assert "no folder" in str(caught.value)


def test_a_folder_without_a_cross_encoder_is_named(tiny_model_dir: Path) -> None:
    with pytest.raises(RerankerError, match=str(tiny_model_dir)):
        load_reranker(str(tiny_model_dir))


def test_an_uncached_hub_id_says_to_download_it_first() -> None:
    with pytest.raises(RerankerError, match="download it first") as caught:
        load_reranker("policy-qa-tests/no-such-reranker")
    assert "policy-qa-tests/no-such-reranker" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_classifier_with_several_labels_is_refused(tmp_path: Path) -> None:
    folder = build_cross_encoder(tmp_path / "two-labels", num_labels=2)
    with pytest.raises(RerankerError, match="single relevance label"):
        load_reranker(str(folder))
