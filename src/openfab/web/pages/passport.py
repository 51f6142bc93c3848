"""The public battery-passport page: what the QR code on a pack opens, without sign-in.

It shows only the sections the brand publishes (through the lifecycle service's public view,
the same as ``GET /public/passports/{id}``), in English or Korean, with the QR code itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from markupsafe import Markup

from openfab.platform import Platform
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
ELEMENTS = ("Co", "Li", "Ni", "Pb", "Al")


@router.get("/p/{passport_id}", name="passport_page")
def page(
    request: Request, passport_id: Annotated[str, Path(min_length=36, max_length=36)]
) -> Response:
    platform: Platform = request.app.state.platform
    passport = platform.lifecycle.public_passport(passport_id)
    url = str(request.url_for("passport_page", passport_id=passport_id))
    qr = Markup(platform.lifecycle.qr_svg(url))  # segno's own SVG, no user text
    return render(request, "passport/index.html", passport=passport, qr=qr, elements=ELEMENTS)


register_page(WebPage("passport", "/p", "passport.title", router, order=0, nav=False))
