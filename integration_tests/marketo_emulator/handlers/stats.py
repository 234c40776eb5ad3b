"""`stats/usage*.json` and `stats/errors*.json`: the counted calls, per Chicago day (marketo-api.md §3.5)."""
from __future__ import annotations

from ..envelope import Reply, success
from . import Ctx


def _usage(day, book) -> dict:
    return {"date": day.isoformat(), "total": book.calls,
            "users": [{"userId": user, "count": count} for user, count in sorted(book.by_user.items())]}


def _errors(day, book) -> dict:
    return {"date": day.isoformat(), "total": sum(book.errors.values()),
            "errors": [{"errorCode": code, "count": count} for code, count in sorted(book.errors.items())]}


def usage_today(ctx: Ctx) -> Reply:
    return success(ctx.rid, [_usage(*ctx.state.usage.days(1)[0])])


def usage_week(ctx: Ctx) -> Reply:
    return success(ctx.rid, [_usage(day, book) for day, book in ctx.state.usage.days(7)])


def errors_today(ctx: Ctx) -> Reply:
    return success(ctx.rid, [_errors(*ctx.state.usage.days(1)[0])])


def errors_week(ctx: Ctx) -> Reply:
    return success(ctx.rid, [_errors(day, book) for day, book in ctx.state.usage.days(7)])
