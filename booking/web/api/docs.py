"""The API's description: the OpenAPI document and its interactive documentation page (Swagger UI, served
from static/vendor: no CDN), both public."""

from flask import Blueprint, jsonify, render_template
from werkzeug.wrappers import Response

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi() -> Response:
    from booking.web.api import spec

    return jsonify(spec())


@bp.get("/docs")
def docs() -> str:
    return render_template("api/docs.html")
