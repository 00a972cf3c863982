"""Error pages: Chinese first, never a stack trace. Unhandled exceptions are logged, not shown.

Under /api/ the same errors are JSON instead of pages (web/api/errors.py)."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, NotFound
from werkzeug.wrappers import Response

from web.api import errors as api_errors
from web.api.paths import is_api_request
from web.i18n import N_, _


class PublicBadRequest(BadRequest):
    """A 400 whose (Chinese) message is meant for the user; `message` is an i18n id."""

    def __init__(self, message: str):
        super().__init__(description=message)
        self.message = message


class PublicNotFound(NotFound):
    def __init__(self, message: str = "您要找的页面或案件不存在，或不属于本单位。"):
        super().__init__(description=message)
        self.message = message


PAGES = {
    400: (N_("请求有误"), N_("请求无法处理。请返回上一页后重试。")),
    403: (N_("无权访问"), N_("您的账号无权查看此页面。")),
    404: (N_("未找到"), N_("您要找的页面或案件不存在，或不属于本单位。")),
    405: (N_("不支持的请求方法"), N_("此页面不接受该请求方法。")),
    413: (N_("文件过大"), N_("上传的文件超过了本系统的上限，未予保存。请压缩或分段后重新上传，或联系系统管理员。")),
    500: (N_("系统错误"), N_("系统发生错误，已记录日志。请稍后重试；如问题持续，请联系系统管理员。")),
}


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    title, default = PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400])
    return render_template("error.html", code=code, title=_(title), message=_(message or default)), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException | Response:
        if error.code is None or error.code < 400:  # redirects raised as exceptions pass through
            return error
        if is_api_request():
            return api_errors.error_response(error)
        return render_error(error.code, getattr(error, "message", None))

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> tuple[str, int] | Response:
        original = getattr(error, "original_exception", None)
        if is_api_request():
            return api_errors.server_error_response(original)
        if original is not None:
            app.logger.error("unhandled exception", exc_info=original)
        return render_error(500)
