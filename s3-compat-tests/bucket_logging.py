#!/usr/bin/env python3
"""s3-compat-tests/bucket_logging.py: Put/GetBucketLogging with boto3 (run by logging.sh; not
named logging.py, which would shadow the standard library module boto3 imports).

Usage: S3_ENDPOINT=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\
    python3 bucket_logging.py BUCKET

A bucket without logging answers an empty BucketLoggingStatus; put_bucket_logging with a
target bucket and prefix reads back the same; an empty status turns it off; a target that does
not exist is InvalidTargetBucketForLogging; TargetGrants and the PartitionedPrefix key format,
which cairn cannot honour, are 501 NotImplemented and leave the configuration as it was; a
malformed body is MalformedXML. Prints "ok"/"FAIL" lines and exits 1 on any failure.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import s3check  # noqa: E402
from s3check import bad, expect, expect_error, raw_body  # noqa: E402

EP = os.environ["S3_ENDPOINT"]
B = sys.argv[1] if len(sys.argv) > 1 else "compat-logging"
T = B + "-target"
s3 = s3check.client(EP, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])


def status():
    return s3.get_bucket_logging(Bucket=B).get("LoggingEnabled")


def main():
    s3.create_bucket(Bucket=B)
    s3.create_bucket(Bucket=T)
    expect("boto3: get_bucket_logging of a new bucket: no LoggingEnabled", status() is None)
    le = {"TargetBucket": T, "TargetPrefix": "logs/" + B + "/"}
    s3.put_bucket_logging(Bucket=B, BucketLoggingStatus={"LoggingEnabled": le})
    got = status()
    expect("boto3: put_bucket_logging then get_bucket_logging: the same", got == le, got)
    le2 = {"TargetBucket": B, "TargetPrefix": ""}
    s3.put_bucket_logging(Bucket=B, BucketLoggingStatus={"LoggingEnabled": le2})
    got = status()
    expect("boto3: logging into the bucket itself, empty prefix", got == le2, got)
    s3.put_bucket_logging(Bucket=B, BucketLoggingStatus={"LoggingEnabled": le})
    expect_error("boto3: a target bucket that does not exist", s3.put_bucket_logging, 400,
                 "InvalidTargetBucketForLogging", Bucket=B,
                 BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": B + "-none",
                                                         "TargetPrefix": "x"}})
    grants = [{"Grantee": {"Type": "Group",
                           "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
               "Permission": "READ"}]
    expect_error("boto3: TargetGrants: 501 (never accepted and ignored)",
                 s3.put_bucket_logging, 501, "NotImplemented", Bucket=B,
                 BucketLoggingStatus={"LoggingEnabled": dict(le, TargetGrants=grants)})
    raw_body(s3, (b'<BucketLoggingStatus xmlns="http://doc.s3.amazonaws.com/2006-03-01">'
                  b'<LoggingEnabled><TargetBucket>' + T.encode() + b'</TargetBucket>'
                  b'<TargetPrefix>p</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix>'
                  b'<PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix>'
                  b'</TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>'),
             op="PutBucketLogging")
    expect_error("boto3: a PartitionedPrefix key format: 501", s3.put_bucket_logging, 501,
                 "NotImplemented", Bucket=B, BucketLoggingStatus={})
    raw_body(s3, b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>x</TargetBucket>"
             b"</LoggingEnabled></BucketLoggingStatus>", op="PutBucketLogging")
    expect_error("boto3: LoggingEnabled without TargetPrefix: MalformedXML",
                 s3.put_bucket_logging, 400, "MalformedXML", Bucket=B, BucketLoggingStatus={})
    got = status()
    expect("boto3: the refused calls left the logging as it was", got == le, got)
    expect_error("boto3: get_bucket_logging of a missing bucket: NoSuchBucket",
                 s3.get_bucket_logging, 404, "NoSuchBucket", Bucket=B + "-missing")
    s3.put_bucket_logging(Bucket=B, BucketLoggingStatus={})
    expect("boto3: an empty BucketLoggingStatus turns logging off", status() is None)
    s3.put_bucket_logging(Bucket=B, BucketLoggingStatus={})
    expect("boto3: turning it off again is fine", status() is None)
    for b in (B, T):
        for o in s3.list_objects_v2(Bucket=b).get("Contents", []):
            s3.delete_object(Bucket=b, Key=o["Key"])
        s3.delete_bucket(Bucket=b)
    sys.exit(1 if s3check.FAILED else 0)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 (one FAIL line, not a traceback)
        bad("bucket_logging.py raised", repr(e))
        sys.exit(1)
