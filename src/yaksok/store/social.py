"""Social accounts' credentials and the posts notices became, in SQL."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.social import SocialPost
from yaksok.store import port
from yaksok.store.tables import social_credentials, social_posts


class SocialRepository(port.SocialRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def set_credentials(self, subscription_id: str, secret: str) -> None:
        c = social_credentials.c
        self._db.execute(delete(social_credentials).where(c.subscription_id == subscription_id))
        self._db.execute(insert(social_credentials), {"subscription_id": subscription_id, "secret": secret})

    def credentials(self, subscription_id: str) -> str | None:
        c = social_credentials.c
        found = self._db.execute(select(c.secret).where(c.subscription_id == subscription_id)).scalar()
        return None if found is None else str(found)

    def record_post(self, post: SocialPost) -> None:
        c = social_posts.c
        self._db.execute(
            delete(social_posts).where(
                c.notice_id == post.notice_id, c.subscription_id == post.subscription_id
            )
        )
        self._db.execute(
            insert(social_posts),
            {
                "notice_id": post.notice_id,
                "subscription_id": post.subscription_id,
                "network": post.network,
                "post_ids": list(post.post_ids),
                "urls": list(post.urls),
                "cids": list(post.cids),
                "posted_at": post.posted_at,
            },
        )

    def post(self, notice_id: str, subscription_id: str) -> SocialPost | None:
        c = social_posts.c
        query = select(social_posts).where(c.notice_id == notice_id, c.subscription_id == subscription_id)
        row = self._db.execute(query).mappings().first()
        return None if row is None else _post(row)

    def posts_of(self, notice_id: str) -> list[SocialPost]:
        c = social_posts.c
        query = select(social_posts).where(c.notice_id == notice_id).order_by(c.subscription_id)
        return [_post(row) for row in self._db.execute(query).mappings()]


def _post(row: RowMapping) -> SocialPost:
    return SocialPost(
        notice_id=row["notice_id"],
        subscription_id=row["subscription_id"],
        network=row["network"],
        post_ids=tuple(row["post_ids"]),
        urls=tuple(row["urls"]),
        posted_at=row["posted_at"],
        cids=tuple(row["cids"]),
    )
