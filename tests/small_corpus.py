"""A small made corpus of two regions, indexed with the tiny model, for retrieval and answers."""

from __future__ import annotations

from pathlib import Path

from index.build import build_index
from rag.config import EmbeddingSettings, Settings


def tiny_model_settings(model_dir: Path) -> Settings:
    """Settings for an index built with the tiny model, which takes no prompts.

    Its vectors carry no meaning, and the service answers over its index with the weights
    that ignore similarities, as for any model the default weights were not learned for.
    """
    embedding = EmbeddingSettings(model=str(model_dir), query_prompt="", passage_prompt="")
    return Settings(embedding=embedding)


XINXIANG = """发布日期:2021-10-14
新开〔2021〕91号
新乡高新区国民经济和社会发展第十四个五年规划纲要
第一章现实基础
第一节发展成效
“十三五”期间,全区地区生产总值达到184.54亿元,年均增速9.54%。高新技术企业总数达到103家。
第四章建设实力高新,加快发展现代产业体系
第二节做精做强主导产业
动力电池与新能源汽车产业,以氢能产业园为载体,重点布局氢能与燃料电池产业。力争培育具有影响力的燃料电池电堆企业1-2家,动力系统企业2-3家,建设3-5座加氢站,开展燃料电池重卡示范运营。
第三节保障措施
(一)加强组织领导。成立规划实施领导小组。
(二)强化要素保障。落实用地和资金支持。
(三)营造良好氛围。加强宣传引导。
"""

XIANGYANG = """发布日期:2022-11-08
襄阳高新区国民经济和社会发展第十四个五年规划纲要
第一章发展目标
第一节主要目标
到2025年,高新技术企业数量达到500家以上,城镇新增就业40000人。
第二章产业发展
第一节新能源产业
突破钒液流储能技术、氢能开发利用技术及其产业化,高水平打造“钒储能产业园”。
"""

DOCS = {"xinxiang.txt": XINXIANG, "xiangyang.txt": XIANGYANG}


def build_small_index(folder: Path, model_dir: Path) -> tuple[Path, Settings]:
    """Write the documents and build their index with the tiny model; return (index, settings)."""
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = tiny_model_settings(model_dir)
    build_index(docs, folder / "index", settings)
    return folder / "index", settings
