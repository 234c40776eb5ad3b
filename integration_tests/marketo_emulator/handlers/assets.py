"""Asset API reads (marketo-api.md §5): browse with offset/maxReturn (default 20, max 200), by id,
by name (channels, tag types, folders), segmentations/segments, program tokens, form fields, the
folder tree. Replies always carry `errors` and `warnings`; nothing found (or an offset past the
end) is a success with the "No assets found" warning and no `result`.
"""
from __future__ import annotations

from ..assets import BrowseParams, parse_folder
from ..envelope import MarketoError, Reply, no_assets, success
from ..request import int_param, list_param
from ..timefmt import BadDatetime, parse_input
from . import Ctx


def _date(params: dict, name: str) -> int | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return parse_input(raw)
    except BadDatetime as error:
        raise MarketoError("1003", f"Invalid {name}: {raw}") from error


def _params(ctx: Ctx) -> BrowseParams:
    params = ctx.params
    try:
        folder = parse_folder(params.get("folder"))
    except (ValueError, TypeError) as error:
        raise MarketoError("1003", "Invalid folder") from error
    earliest, latest = _date(params, "earliestUpdatedAt"), _date(params, "latestUpdatedAt")
    if earliest is not None and latest is not None and earliest > latest:
        raise MarketoError("1003", "earliestUpdatedAt must be before latestUpdatedAt")
    active = params.get("isActive")
    return BrowseParams(status=params.get("status"), folder=folder, earliest_ms=earliest, latest_ms=latest,
                        filter_type=params.get("filterType"), filter_values=list_param(params, "filterValues"),
                        is_active=None if active not in ("true", "false") else active == "true")


def _window(ctx: Ctx, items: list[dict]) -> Reply:
    offset = int_param(ctx.params, "offset", 0, low=0)
    size = int_param(ctx.params, "maxReturn", 20, low=1, high=200)
    chunk = items[offset:offset + size]
    return success(ctx.rid, chunk, asset=True) if chunk else no_assets(ctx.rid)


def browse(kind: str):
    def handler(ctx: Ctx) -> Reply:
        params = _params(ctx)
        with ctx.state.lock:
            items = ctx.state.assets.browse(kind, params)
        return _window(ctx, items)

    handler.__name__ = f"browse_{kind}"
    return handler


def by_id(kind: str):
    """One asset; of an email or landing page with two versions, the approved one unless `status=draft`."""
    def handler(ctx: Ctx) -> Reply:
        raw = ctx.path_params["id"]
        with ctx.state.lock:
            item = ctx.state.assets.get(kind, int(raw), status=ctx.params.get("status")) if raw.isdigit() else None
        return success(ctx.rid, [item], asset=True) if item else no_assets(ctx.rid)

    handler.__name__ = f"get_{kind}"
    return handler


def program_by_id(ctx: Ctx) -> Reply:
    """program/{id}.json: with `tags` and `costs`, which browse leaves out (EL:programs)."""
    raw = ctx.path_params["id"]
    with ctx.state.lock:
        item = ctx.state.assets.program(int(raw)) if raw.isdigit() else None
    return success(ctx.rid, [item], asset=True) if item else no_assets(ctx.rid)


def form_fields(ctx: Ctx) -> Reply:
    """form/{id}/fields.json: the fields of the approved version (or of `status`)."""
    raw = ctx.path_params["id"]
    with ctx.state.lock:
        fields = ctx.state.assets.form_fields(int(raw), ctx.params.get("status")) if raw.isdigit() else None
    return success(ctx.rid, fields, asset=True) if fields else no_assets(ctx.rid)


def channel_by_name(ctx: Ctx) -> Reply:
    name = ctx.params.get("name") or ctx.params.get("Name")  # the swagger spells the parameter `Name`
    if not name:
        raise MarketoError("701", "name cannot be blank")
    with ctx.state.lock:
        items = ctx.state.assets.named("channels", "name", name)
    return success(ctx.rid, items, asset=True) if items else no_assets(ctx.rid)


def tag_type_by_name(ctx: Ctx) -> Reply:
    """tagType/byName.json: the tag type with its `allowableValues` (tagTypes.json leaves them out)."""
    name = ctx.params.get("name")
    if not name:
        raise MarketoError("701", "name cannot be blank")
    with ctx.state.lock:
        items = ctx.state.assets.named("tagTypes", "tagType", name)
    return success(ctx.rid, items, asset=True) if items else no_assets(ctx.rid)


def _root(ctx: Ctx, name: str = "root"):
    try:
        return parse_folder(ctx.params.get(name))
    except (ValueError, TypeError) as error:
        raise MarketoError("1003", f"Invalid {name}") from error


def folders(ctx: Ctx) -> Reply:
    """folders.json: `root` ({"id","type"}; none: the system roots), `maxDepth` (default 2; 0: the
    root alone), `workSpace`, then offset/maxReturn over the depth-first listing."""
    root = _root(ctx)
    depth = int_param(ctx.params, "maxDepth", 2, low=0)
    with ctx.state.lock:
        items = ctx.state.assets.browse_folders(root, depth, ctx.params.get("workSpace"))
    return _window(ctx, items or [])


def folder_by_id(ctx: Ctx) -> Reply:
    """folder/{id}.json?type=Folder|Program (type defaults to Folder here)."""
    raw = ctx.path_params["id"]
    folder_type = ctx.params.get("type") or "Folder"
    if folder_type.lower() not in ("folder", "program"):
        raise MarketoError("1003", f"Invalid type: {folder_type}")
    with ctx.state.lock:
        item = ctx.state.assets.folder(int(raw), folder_type) if raw.isdigit() else None
    return success(ctx.rid, [item], asset=True) if item else no_assets(ctx.rid)


def folder_by_name(ctx: Ctx) -> Reply:
    name = ctx.params.get("name")
    if not name:
        raise MarketoError("701", "name cannot be blank")
    root = _root(ctx)
    with ctx.state.lock:
        items = ctx.state.assets.folders_named(name, ctx.params.get("type"), root, ctx.params.get("workSpace"))
    return success(ctx.rid, items, asset=True) if items else no_assets(ctx.rid)


def segmentations(ctx: Ctx) -> Reply:
    """Only `status` is documented here; paging parameters are ignored (Airbyte sends them anyway)."""
    with ctx.state.lock:
        items = ctx.state.assets.browse("segmentation", BrowseParams(status=ctx.params.get("status")))
    return success(ctx.rid, items, asset=True) if items else no_assets(ctx.rid)


def segments(ctx: Ctx) -> Reply:
    raw = ctx.path_params["id"]
    segmentation_id = int(raw) if raw.isdigit() else -1
    params = BrowseParams(status=ctx.params.get("status"), segmentation_id=segmentation_id)
    with ctx.state.lock:
        items = ctx.state.assets.browse("segments", params)
    return _window(ctx, items)


def tokens(ctx: Ctx) -> Reply:
    raw = ctx.path_params["id"]
    folder_type = ctx.params.get("folderType", "Folder")
    folder_id = int(raw) if raw.isdigit() else -1
    state = ctx.state
    with state.lock:
        if folder_type == "Program":
            found = state.assets.get("programs", folder_id) is not None
            tokens_list = list(state.assets.tokens.get(folder_id, []))
        else:
            found = state.assets.is_folder(folder_id)  # any folder of the tree; folders hold no tokens here
            tokens_list = []
    if not found:
        raise MarketoError("702", "No data found for given search scenario")
    return success(ctx.rid, [{"folder": {"type": folder_type, "value": folder_id}, "tokens": tokens_list}], asset=True)
