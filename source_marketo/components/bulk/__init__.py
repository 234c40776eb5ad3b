"""Bulk Extract: export jobs (create, enqueue, poll), their scheduler, downloads and the CSV hot path.

Python, not the CDK's AsyncRetriever: that path has no enqueue step, a fixed poll interval and a
per-record cost 6-7x a plain loop (cdk-notes.md); see docs/behavior.md.
"""
