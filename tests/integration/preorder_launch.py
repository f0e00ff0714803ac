"""The launch the pre-order tests share: ``ipad`` in Asia/Seoul, its pre-order opening at exactly
20:00 KST on 9 November 2010 (11:00 UTC), as the 2010 launch should have announced it."""

from __future__ import annotations

from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.promise import Precision
from yaksok.services import launches
from yaksok.services.runtime import Runtime

WIFI_16 = Sku(code="wifi-16", titles={"en": "Wi-Fi 16 GB"})


def ipad_opening_at_20(
    rt: Runtime,
    *,
    skus: tuple[Sku, ...] = (WIFI_16,),
    titles: dict[str, str] | None = None,
    per_customer_limit: int = 1,
    opening_titles: dict[str, str] | None = None,
) -> None:
    """The launch, its ``preorder_opens`` milestone (``ipad.pre``) and that exact promise."""
    launch = CreateLaunch(
        slug="ipad",
        titles=titles or {"en": "iPad"},
        zone="Asia/Seoul",
        skus=skus,
        per_customer_limit=per_customer_limit,
    )
    launches.create_launch(rt, launch)
    opens = AddMilestone(
        launch_slug="ipad", key="pre", kind=MilestoneKind.PREORDER_OPENS, titles=opening_titles or {"en": "P"}
    )
    launches.add_milestone(rt, opens)
    launches.revise_promise(rt, RevisePromise("ipad.pre", time="2010-11-09T20:00", precision=Precision.EXACT))
