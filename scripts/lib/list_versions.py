"""scripts/lib/list_versions.py: ListObjectVersions in the order the gateway sent it.

boto3 parses a ListObjectVersions page into two lists, Versions and DeleteMarkers, which loses
how they interleave; S3 lists one key's versions and delete markers together, newest first.
list_versions() reads each page's XML as it came (the after-call event) and returns its
<Version> and <DeleteMarker> entries in document order. Used by scripts/lib/old_data_fill.py
(what the old release listed) and tests/integration/old_data.py (what the current build lists).
"""
import xml.etree.ElementTree as ET


def _local(tag):
    return tag.split("}")[-1]


def list_versions(client, bucket, max_keys=1000):
    """Every version and delete marker of bucket, paged by max_keys: a list of
    {"key", "version_id", "marker", "latest", "etag", "size"} (etag and size None for a
    marker), in the order of the pages' XML. Raises botocore's ClientError as boto3 does."""
    pages, out, kw = [], [], {"Bucket": bucket, "MaxKeys": max_keys}

    def keep(http_response, **_):
        pages.append(http_response.content)

    client.meta.events.register("after-call.s3.ListObjectVersions", keep)
    try:
        for _ in range(10000):
            del pages[:]
            res = client.list_object_versions(**kw)
            for e in ET.fromstring(pages[-1]):
                kind = _local(e.tag)
                if kind not in ("Version", "DeleteMarker"):
                    continue
                f = {_local(c.tag): c.text or "" for c in e}
                out.append({"key": f.get("Key"), "version_id": f.get("VersionId"),
                            "marker": kind == "DeleteMarker",
                            "latest": f.get("IsLatest") == "true",
                            "etag": f["ETag"].strip('"') if "ETag" in f else None,
                            "size": int(f["Size"]) if "Size" in f else None})
            if not res.get("IsTruncated"):
                break
            kw["KeyMarker"] = res.get("NextKeyMarker", "")
            kw["VersionIdMarker"] = res.get("NextVersionIdMarker", "")
    finally:
        client.meta.events.unregister("after-call.s3.ListObjectVersions", keep)
    return out
