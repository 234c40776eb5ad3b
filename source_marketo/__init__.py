"""source-marketo: an Airbyte source for Adobe Marketo Engage (leads, activities and assets)."""

from source_marketo.source import SourceMarketo

__all__ = ["SourceMarketo"]
