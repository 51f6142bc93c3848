"""The co-creation board: one vote each, comments, promotion to a draft product, events for
every change, and nothing visible to another brand; through the service and the REST API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openfab.catalog.ideas_schemas import (
    CommentCreate,
    IdeaCreate,
    IdeaDecision,
    IdeaPromotion,
    IdeaStatus,
)
from openfab.errors import Conflict, Forbidden, InvalidInput, NotFound
from openfab.platform import Platform
from openfab.store import EventRecord
from openfab.store.tenancy import Scope
from tests.api.conftest import auth
from tests.conftest import TenantPeople
from tests.web.conftest import email


def propose(platform: Platform, shop: TenantPeople, title: str = "Fridge with a pet drawer") -> Any:
    data = IdeaCreate(
        title=title, description="A cooled drawer for pet food.", base_product="fridge"
    )
    return platform.ideas.propose(shop.alice, data)


def events_of(platform: Platform, shop: TenantPeople, entity: str) -> list[str]:
    with platform.db.unit(Scope.tenant(shop.tenant_id), actor="test", readonly=True) as uow:
        rows = uow.session.scalars(
            select(EventRecord).where(EventRecord.entity_id == entity).order_by(EventRecord.seq)
        )
        return [r.type for r in rows]


def test_one_vote_per_user(platform: Platform, shop: TenantPeople) -> None:
    idea = propose(platform, shop)
    assert (idea.votes, idea.status, idea.author_name) == (0, IdeaStatus.PROPOSED, "alice")
    assert platform.ideas.vote(shop.alice, idea.id).votes == 1
    with pytest.raises(Conflict, match="already voted"):
        platform.ideas.vote(shop.alice, idea.id)
    after_bob = platform.ideas.vote(shop.bob, idea.id)
    assert after_bob.votes == 2 and after_bob.voted_by_me
    assert platform.ideas.get(shop.planner, idea.id).voted_by_me is False
    withdrawn = platform.ideas.withdraw_vote(shop.alice, idea.id)
    assert withdrawn.votes == 1 and not withdrawn.voted_by_me
    with pytest.raises(Conflict, match="not voted"):
        platform.ideas.withdraw_vote(shop.alice, idea.id)


def test_comments_are_listed_in_order(platform: Platform, shop: TenantPeople) -> None:
    idea = propose(platform, shop)
    platform.ideas.comment(shop.bob, idea.id, CommentCreate(body="First!"))
    platform.ideas.comment(shop.alice, idea.id, CommentCreate(body="  Thanks  "))
    detail = platform.ideas.get(shop.bob, idea.id)
    assert [(c.author_name, c.body) for c in detail.comment_list] == [
        ("bob", "First!"),
        ("alice", "Thanks"),
    ]
    assert detail.comments == 2


def test_a_planner_promotes_an_idea_to_a_draft_copy_of_its_base_product(
    platform: Platform, shop: TenantPeople
) -> None:
    idea = propose(platform, shop, "Fridge for the garage")
    platform.ideas.vote(shop.bob, idea.id)
    with pytest.raises(Forbidden):
        platform.ideas.promote(shop.alice, idea.id, IdeaPromotion(code="x-fridge", name="X"))
    promoted = platform.ideas.promote(
        shop.planner, idea.id, IdeaPromotion(code="garage-fridge", name="CoolLine Garage")
    )
    assert promoted.status == IdeaStatus.PROMOTED and promoted.product_code == "garage-fridge"
    draft = platform.catalog.get_product(shop.admin, "garage-fridge")
    base = platform.catalog.get_product(shop.admin, "fridge")
    assert (draft.status, draft.name, draft.revision) == ("Draft", "CoolLine Garage", 1)
    assert draft.definition["option_groups"] == base.definition["option_groups"]
    assert draft.definition["description"] == "A cooled drawer for pet food."
    with pytest.raises(Conflict, match="promoted"):
        platform.ideas.vote(shop.alice, idea.id)
    assert events_of(platform, shop, idea.id) == ["idea.proposed", "idea.voted", "idea.promoted"]


@pytest.mark.parametrize(
    ("promotion", "where"),
    [
        (IdeaPromotion(code="fridge", name="Again"), ["code"]),  # the code is taken
        (IdeaPromotion(code="new-one", name="N", base_product="toaster"), ["base_product"]),
        (IdeaPromotion(code="fridge", name="N", base_product="toaster"), ["base_product", "code"]),
    ],
)
def test_a_promotion_names_every_problem_and_writes_nothing(
    platform: Platform, shop: TenantPeople, promotion: IdeaPromotion, where: list[str]
) -> None:
    idea = propose(platform, shop)
    with pytest.raises(InvalidInput) as error:
        platform.ideas.promote(shop.planner, idea.id, promotion)
    assert sorted(p.loc for p in error.value.problems) == where
    assert platform.ideas.get(shop.alice, idea.id).status == IdeaStatus.PROPOSED
    assert events_of(platform, shop, idea.id) == ["idea.proposed"]


def test_an_idea_without_a_base_product_needs_one_to_be_promoted(
    platform: Platform, shop: TenantPeople
) -> None:
    idea = platform.ideas.propose(shop.bob, IdeaCreate(title="A robot", description="Cleans."))
    with pytest.raises(InvalidInput, match="cannot be promoted"):
        platform.ideas.promote(shop.planner, idea.id, IdeaPromotion(code="robot", name="R"))
    declined = platform.ideas.decline(shop.planner, idea.id, IdeaDecision(note="not our trade"))
    assert declined.status == IdeaStatus.DECLINED and declined.status_note == "not our trade"


def test_an_unknown_base_product_is_refused(platform: Platform, shop: TenantPeople) -> None:
    with pytest.raises(InvalidInput) as error:
        platform.ideas.propose(
            shop.alice, IdeaCreate(title="Toast", description="x", base_product="toaster")
        )
    assert [p.loc for p in error.value.problems] == ["base_product"]


def test_the_board_sorts_by_votes_and_filters_by_status(
    platform: Platform, shop: TenantPeople
) -> None:
    quiet = propose(platform, shop, "Quiet idea")
    loud = propose(platform, shop, "Loud idea")
    platform.ideas.vote(shop.alice, loud.id)
    platform.ideas.vote(shop.bob, loud.id)
    ranked = [i.id for i in platform.ideas.list(shop.bob).data]
    assert ranked.index(loud.id) < ranked.index(quiet.id)
    newest = platform.ideas.list(shop.bob, sort="new").data
    assert newest[0].id == loud.id
    proposed = platform.ideas.list(shop.bob, status=IdeaStatus.PROPOSED)
    assert all(i.status == IdeaStatus.PROPOSED for i in proposed.data)


def test_another_brand_sees_none_of_it(
    platform: Platform, shop: TenantPeople, rival: TenantPeople
) -> None:
    idea = propose(platform, shop, "Secret idea")
    assert idea.id not in {i.id for i in platform.ideas.list(rival.alice).data}
    for act in (
        lambda: platform.ideas.get(rival.alice, idea.id),
        lambda: platform.ideas.vote(rival.alice, idea.id),
        lambda: platform.ideas.comment(rival.alice, idea.id, CommentCreate(body="hi")),
        lambda: platform.ideas.promote(
            rival.planner, idea.id, IdeaPromotion(code="stolen", name="S", base_product="fridge")
        ),
    ):
        with pytest.raises(NotFound):
            act()


def test_the_rest_api(web_app: Any, shop: TenantPeople, rival: TenantPeople) -> None:
    client = TestClient(web_app, raise_server_exceptions=False)
    alice = auth(client, email(shop, "alice"))
    created = client.post(
        "/ideas",
        json={"title": "API idea", "description": "via REST", "base_product": "fridge"},
        headers=alice,
    )
    assert created.status_code == 201, created.text
    idea_id = created.json()["id"]
    assert client.post(f"/ideas/{idea_id}/votes", headers=alice).json()["votes"] == 1
    again = client.post(f"/ideas/{idea_id}/votes", headers=alice)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    comment = client.post(f"/ideas/{idea_id}/comments", json={"body": "nice"}, headers=alice)
    assert comment.status_code == 201
    bad = client.post("/ideas", json={"title": "x", "description": "", "extra": 1}, headers=alice)
    assert bad.status_code == 422
    assert {p["loc"] for p in bad.json()["problems"]} == {
        "body.title",
        "body.description",
        "body.extra",
    }
    stranger = auth(client, email(rival, "alice"))
    assert client.get(f"/ideas/{idea_id}", headers=stranger).status_code == 404
    planner = auth(client, email(shop, "planner"))
    promoted = client.post(
        f"/ideas/{idea_id}/promote", json={"code": "api-fridge", "name": "API"}, headers=planner
    )
    assert promoted.status_code == 200 and promoted.json()["status"] == "Promoted"
    detail = client.get(f"/ideas/{idea_id}", headers=alice).json()
    assert detail["comment_list"][0]["body"] == "nice"
