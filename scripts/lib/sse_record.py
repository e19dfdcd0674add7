"""scripts/lib/sse_record.py: an old-data fixture's record of an encrypted object (the
manifest's "sse" of an object, issue 20) and what S3 answers about one. Used by
scripts/lib/old_data_fill.py (what the release wrote and stated) and
tests/integration/old_data.py (what the current build states of it).

A record is {"mode": "SSE-C", "customer_key": HEX (32 bytes), "customer_key_md5": BASE64},
{"mode": "AES256"} (SSE-S3) or {"mode": "aws:kms", "kms_key": NAME}; an SSE-KMS one may say
"kms_epoch" (the key's epoch when it was written, as the fill knows it: S3 does not show it)
and one written without headers into a bucket with a default encryption "by_default": true.
"""
import base64
import hashlib


def customer(key):
    """A record of an SSE-C object under the customer key key (bytes)."""
    return {"mode": "SSE-C", "customer_key": key.hex(),
            "customer_key_md5": base64.b64encode(hashlib.md5(key).digest()).decode()}


def read_kw(sse):
    """boto3's parameters of a read of an object with record sse (None: a plain object):
    SSE-C needs its customer key, the other modes nothing."""
    if sse and sse["mode"] == "SSE-C":
        return {"SSECustomerAlgorithm": "AES256",
                "SSECustomerKey": bytes.fromhex(sse["customer_key"])}
    return {}


def write_kw(sse):
    """boto3's parameters of a PutObject or CreateMultipartUpload under record sse's mode."""
    if sse["mode"] == "aws:kms":
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": sse["kms_key"]}
    if sse["mode"] == "AES256":
        return {"ServerSideEncryption": "AES256"}
    return read_kw(sse)


def stated(answer):
    """The encryption a PutObject, GetObject or HeadObject answer (boto3's dict) states:
    (x-amz-server-side-encryption, its aws-kms-key-id, -customer-algorithm, -customer-key-MD5),
    "" where absent."""
    return tuple(answer.get(k) or "" for k in ("ServerSideEncryption", "SSEKMSKeyId",
                                                "SSECustomerAlgorithm", "SSECustomerKeyMD5"))


def want(sse):
    """What an answer about an object with record sse must state (stated's form)."""
    if sse["mode"] == "SSE-C":
        return ("", "", "AES256", sse["customer_key_md5"])
    return (sse["mode"], sse.get("kms_key", ""), "", "")
