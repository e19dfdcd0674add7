#!/usr/bin/env bash
# s3-compat-tests/sse.sh: server-side encryption (issue 20) with Debian's boto3 (sse.py, whose
# lines are prefixed "boto3") and Debian's aws cli ("aws cli"; run by s3-compat-tests/run,
# whose gateway has [gateway] sse_c_allow_http: the clients speak plain HTTP). For each mode
# (SSE-C, SSE-S3, SSE-KMS): `aws s3 cp` up and down with --sse-c/--sse/--sse-kms-key-id of 0
# bytes, 1000 bytes, 200 KiB and 7 MiB (compared by MD5), `s3api put-object`, `get-object
# --range` (inside a block, across blocks and across the 5 MiB chunk) and `head-object` with
# the mode's response fields; SSE-C's wrong key (403) and missing key (400), with no bytes
# written; an SSE-C key for another mode's object (400); the bucket default
# (put-bucket-encryption, then a cp without options reads back as that mode); key rotation
# (cairn-adm kms-rotate-key, kms-rewrap). A mode whose first put-object answers 501 (SSE-S3
# and SSE-KMS until the key service lands) gets one FAIL line and its other checks do not run.
# CAIRN_SSE_FULL=1 adds what answers 501 until it is implemented, each check expecting
# success with the right content (otherwise one "skip" line per group): a 20 MiB multipart
# `s3 cp` per mode (and --part-number), copies between modes (plain -> SSE-C, SSE-C ->
# SSE-S3 of a multipart source, SSE-S3 -> SSE-KMS, s3api copy-object SSE-C -> SSE-C under
# another key). CAIRN_SSE_MODES ("C S3 KMS") limits the modes; the others print "skip".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"

AWS=/usr/bin/aws
[ -x "$AWS" ] || AWS=$(command -v aws) || { echo "SKIPSUITE no aws cli"; exit 2; }
/usr/bin/python3 -c 'import boto3' 2>/dev/null || { echo "SKIPSUITE no boto3 for /usr/bin/python3"; exit 2; }
echo "# boto3 $(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)'), $("$AWS" --version 2>&1)"
MODES=${CAIRN_SSE_MODES:-C S3 KMS}
FULL=${CAIRN_SSE_FULL:-1}

# ---- boto3 -------------------------------------------------------------------------------
out=$(/usr/bin/python3 "$here/sse.py" compat-sse 2>&1 | sed -E 's/^(ok +|FAIL |skip )/\1boto3 /')
rc=$? # pipefail: python3's status when it failed
t_count_out "sse.py" "$rc" "$out"
printf '%s\n' "$out" | grep '^skip ' || true

# ---- aws cli -----------------------------------------------------------------------------
cli() { "$AWS" --endpoint-url "$S3_ENDPOINT" "$@"; }
adm() { "$COMPAT_BUILD/manager/adm/cairn-adm" --manager "$COMPAT_ADMIN" "$@"; }
md5() { md5sum <"$1" | cut -d' ' -f1; }
slice_md5() { tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2 + 1)) | md5sum | cut -d' ' -f1; }
b=compat-sse-cli
db=$b-default
KMS_KEY=compat-sse-cli
DEFAULT_KMS=aws/s3
SIZES="0 1000 204800 7340032"
CHUNK=$((5 * 1024 * 1024))
BLOCK=65536
FIELD_LIST=ServerSideEncryption,SSEKMSKeyId,SSECustomerAlgorithm,SSECustomerKeyMD5
FIELDS="[$FIELD_LIST]"
head -c 32 /dev/urandom >key1
head -c 32 /dev/urandom >key2
key1_md5=$(openssl md5 -binary key1 | base64)
for n in $SIZES; do head -c "$n" /dev/urandom >"f$n"; done
check "aws cli: mb $b" cli s3 mb "s3://$b"
check "aws cli: mb $db" cli s3 mb "s3://$db"

# fields: stdin (a response's FIELDS as text) on one line, single spaces, an ARN of
# KMS_KEY or DEFAULT_KMS shortened to the name (S3 answers ARNs, cairn may answer the name)
fields() {
    tr -s ' \t\n' '   ' | sed -E -e 's/ $//' -e "s#aws:kms [^ ]*[/:]($KMS_KEY|$DEFAULT_KMS) #aws:kms \\1 #"
}

# mode_args MODE: sets NAME, UP and DOWN (aws s3 cp up / down), PUT and READ (s3api
# put-object / get-object, head-object) and WANT (fields of a response of MODE's object)
mode_args() {
    case $1 in
        C)
            NAME="aws cli SSE-C"
            UP=(--sse-c AES256 --sse-c-key fileb://key1)
            DOWN=("${UP[@]}")
            PUT=(--sse-customer-algorithm AES256 --sse-customer-key fileb://key1)
            READ=("${PUT[@]}")
            WANT="None None AES256 $key1_md5"
            ;;
        S3)
            NAME="aws cli SSE-S3"
            UP=(--sse AES256)
            DOWN=()
            PUT=(--server-side-encryption AES256)
            READ=()
            WANT="AES256 None None None"
            ;;
        KMS)
            NAME="aws cli SSE-KMS"
            UP=(--sse aws:kms --sse-kms-key-id "$KMS_KEY")
            DOWN=()
            PUT=(--server-side-encryption aws:kms --ssekms-key-id "$KMS_KEY")
            READ=()
            WANT="aws:kms $KMS_KEY None None"
            ;;
    esac
}

# probe MODE: the mode's first put-object; 1 (and one FAIL line) when it cannot write
probe() {
    local out
    if out=$(cli s3api put-object --bucket $b --key "probe/$1" --body f1000 "${PUT[@]}" 2>&1); then
        return 0
    fi
    [[ $out == *NotImplemented* ]] && out="501 NotImplemented: the key service is not in yet
$out"
    t_bad "$NAME: put-object works (the mode's other checks do not run)" "$out"
    return 1
}

# head_is NAME KEY SIZE [BUCKET]: head-object of KEY answers SIZE and the mode's fields
head_is() {
    expect_eq "$1" "$3 $WANT" "$(cli s3api head-object --bucket "${4:-$b}" --key "$2" "${READ[@]}" \
        --query "[ContentLength,$FIELD_LIST]" --output text 2>&1 | fields)"
}

# get_is NAME KEY FILE [BUCKET]: aws s3 cp down of KEY is FILE, byte for byte
get_is() {
    rm -f got
    cli s3 cp --only-show-errors "s3://${4:-$b}/$2" got "${DOWN[@]}" >/dev/null 2>&1
    expect_eq "$1" "$(md5 "$3")" "$(md5 got 2>&1)"
}

put_get() {
    local m=$1 n k a z out
    for n in $SIZES; do
        k=cp/$m/$n
        check "$NAME: s3 cp up $n bytes" cli s3 cp --only-show-errors "f$n" "s3://$b/$k" "${UP[@]}" &&
            get_is "$NAME: s3 cp down $n bytes, the same MD5" "$k" "f$n" &&
            head_is "$NAME: head-object $n bytes: the length and the mode's fields" "$k" "$n"
    done
    out=$(cli s3api put-object --bucket $b --key "api/$m" --body f204800 "${PUT[@]}" \
        --query "$FIELDS" --output text 2>&1 | fields)
    expect_eq "$NAME: s3api put-object answers the mode's fields" "$WANT" "$out"
    for r in "0 0" "$((BLOCK - 6)) $((BLOCK + 9))" "$((CHUNK - 10)) $((CHUNK + 10))" \
        "$((CHUNK - BLOCK)) 7340031"; do
        read -r a z <<<"$r"
        rm -f got
        out=$(cli s3api get-object --bucket $b --key "cp/$m/7340032" --range "bytes=$a-$z" \
            "${READ[@]}" --query "[ContentRange,$FIELD_LIST]" \
            --output text got 2>&1 | fields)
        expect_eq "$NAME: get-object --range bytes=$a-$z: Content-Range and the mode's fields" \
            "bytes $a-$z/7340032 $WANT" "$out"
        expect_eq "$NAME: get-object --range bytes=$a-$z: the same MD5" \
            "$(slice_md5 f7340032 "$a" "$z")" "$(md5 got 2>&1)"
    done
    rm -f got
    cli s3api get-object --bucket $b --key "cp/$m/204800" --range bytes=-70000 "${READ[@]}" got >/dev/null 2>&1
    expect_eq "$NAME: get-object --range bytes=-70000: the same MD5" \
        "$(slice_md5 f204800 $((204800 - 70000)) 204799)" "$(md5 got 2>&1)"
}

# refused NAME REGEX CMD...: CMD fails with an error matching REGEX; when it names the file
# "got" (a download), it leaves no bytes there
refused() {
    local name=$1 re=$2 out
    shift 2
    rm -f got
    if out=$("$@" 2>&1); then
        t_bad "$name" "succeeded: $out"
        return
    fi
    expect_match "$name" "$re" "$out"
    [[ " $* " == *" got "* ]] || return 0
    if [ -s got ]; then t_bad "$name: no bytes" "got has $(wc -c <got) bytes"; else t_ok "$name: no bytes"; fi
}

errors_ssec() {
    local k=cp/C/7340032
    refused "$NAME: get-object without the key: 400 InvalidRequest" 'InvalidRequest' \
        cli s3api get-object --bucket $b --key $k got
    refused "$NAME: get-object with a wrong key: 403 AccessDenied" 'AccessDenied' \
        cli s3api get-object --bucket $b --key $k --sse-customer-algorithm AES256 \
        --sse-customer-key fileb://key2 got
    refused "$NAME: ranged get-object with a wrong key: 403 AccessDenied" 'AccessDenied' \
        cli s3api get-object --bucket $b --key $k --range bytes=0-9 --sse-customer-algorithm \
        AES256 --sse-customer-key fileb://key2 got
    refused "$NAME: head-object without the key: 400" '\(400\)' \
        cli s3api head-object --bucket $b --key $k
    refused "$NAME: head-object with a wrong key: 403" '\(403\)' \
        cli s3api head-object --bucket $b --key $k --sse-customer-algorithm AES256 \
        --sse-customer-key fileb://key2
    refused "$NAME: s3 cp down without the key: 400" '\(400\)' \
        cli s3 cp --only-show-errors "s3://$b/$k" got
    refused "$NAME: s3 cp down with a wrong key: 403" '\(403\)' \
        cli s3 cp --only-show-errors "s3://$b/$k" got --sse-c AES256 --sse-c-key fileb://key2
}

# errors_other: an SSE-C key for an SSE-S3 or SSE-KMS object is refused
errors_other() {
    refused "$NAME: get-object with an SSE-C key: 400 InvalidRequest" 'InvalidRequest' \
        cli s3api get-object --bucket $b --key "cp/$1/1000" --sse-customer-algorithm AES256 \
        --sse-customer-key fileb://key1 got
}

# bucket_default M CONF: put-bucket-encryption CONF (an ApplyServerSideEncryptionByDefault),
# then an s3 cp without options reads back as mode M (mode_args M), byte for byte
bucket_default() {
    local k=default/$1
    check "$NAME: put-bucket-encryption $2" cli s3api put-bucket-encryption --bucket $db \
        --server-side-encryption-configuration "{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":$2}]}" ||
        return
    check "$NAME: s3 cp up without options into the bucket with a default" \
        cli s3 cp --only-show-errors f204800 "s3://$db/$k" &&
        head_is "$NAME: ... head-object shows the default's mode" "$k" 204800 $db &&
        get_is "$NAME: ... s3 cp down, the same MD5" "$k" f204800 $db
    check "$NAME: delete-bucket-encryption" cli s3api delete-bucket-encryption --bucket $db
}

# rotation M KEY_NAME: objects put before and after kms-rotate-key KEY_NAME and kms-rewrap
rotation() {
    local k=rot/$1
    check "$NAME: s3 cp up before the rotation" cli s3 cp --only-show-errors f1000 "s3://$b/$k/before" "${UP[@]}" || return
    check "$NAME: cairn-adm kms-rotate-key $2" adm kms-rotate-key "$2"
    check "$NAME: s3 cp up after the rotation" cli s3 cp --only-show-errors f204800 "s3://$b/$k/after" "${UP[@]}"
    get_is "$NAME: the object from before the rotation reads" "$k/before" f1000
    get_is "$NAME: the object from after the rotation reads" "$k/after" f204800
    check "$NAME: cairn-adm kms-rewrap" adm kms-rewrap
    get_is "$NAME: after the rewrap, the object from before the rotation reads" "$k/before" f1000
    get_is "$NAME: after the rewrap, the object from after it reads" "$k/after" f204800
    head_is "$NAME: after the rewrap, head-object" "$k/after" 204800
}

declare -A WORKING=()
for m in C S3 KMS; do
    if [[ " $MODES " != *" $m "* ]]; then
        echo "skip aws cli SSE-$m: not in CAIRN_SSE_MODES"
        continue
    fi
    mode_args "$m"
    if [ "$m" = KMS ]; then # first aws:kms without a key id: the built-in key
        PUT=(--server-side-encryption aws:kms)
        probe "$m" || continue
        WANT="aws:kms $DEFAULT_KMS None None"
        head_is "$NAME: without a key id, the built-in key $DEFAULT_KMS" "probe/$m" 1000
        check "$NAME: cairn-adm kms-create-key $KMS_KEY" adm kms-create-key "$KMS_KEY" || continue
        mode_args "$m"
    elif ! probe "$m"; then
        continue
    fi
    WORKING[$m]=1
    put_get "$m"
    case $m in
        C) errors_ssec ;;
        S3)
            errors_other "$m"
            bucket_default S3 '{"SSEAlgorithm":"AES256"}'
            rotation "$m" "$DEFAULT_KMS"
            ;;
        KMS)
            errors_other "$m"
            bucket_default KMS "{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"$KMS_KEY\"}"
            rotation "$m" "$KMS_KEY"
            ;;
    esac
done

# ---- CAIRN_SSE_FULL: multipart and copies (501 until implemented) --------------------------
if [ "$FULL" != 1 ]; then
    for m in $MODES; do echo "skip aws cli SSE-$m: multipart (CAIRN_SSE_FULL=1 runs it; 501 until implemented)"; done
    echo "skip aws cli: copies between modes (CAIRN_SSE_FULL=1 runs them; 501 until implemented)"
    t_summary
    exit
fi
# can WHAT MODE...: every MODE works; else one skip line (a mode left out by
# CAIRN_SSE_MODES) or FAIL line (a mode that does not write) for WHAT, and 1
can() {
    local what=$1 m out="" broken=""
    shift
    for m; do
        [[ " $MODES " == *" $m "* ]] || out+=" SSE-$m"
        [ -n "${WORKING[$m]:-}" ] || broken+=" SSE-$m"
    done
    if [ -n "$out" ]; then echo "skip $what:$out not in CAIRN_SSE_MODES"; return 1; fi
    if [ -n "$broken" ]; then t_bad "$what (${broken# } does not write)"; return 1; fi
}

head -c $((20 * 1024 * 1024)) /dev/urandom >f20m
for m in C S3 KMS; do
    mode_args "$m"
    can "$NAME: multipart" "$m" || continue
    k=mpu/$m
    check "$NAME: s3 cp up 20 MiB (multipart)" cli s3 cp --only-show-errors f20m "s3://$b/$k" "${UP[@]}" || continue
    head_is "$NAME: multipart head-object" "$k" $((20 * 1024 * 1024))
    expect_match "$NAME: multipart: a 3-part ETag" '"[0-9a-f]{32}-3"' \
        "$(cli s3api head-object --bucket $b --key "$k" "${READ[@]}" --query ETag --output text 2>&1)"
    get_is "$NAME: multipart s3 cp down (ranged GETs), the same MD5" "$k" f20m
    rm -f got
    cli s3api get-object --bucket $b --key "$k" --part-number 2 "${READ[@]}" got >/dev/null 2>&1
    expect_eq "$NAME: multipart get-object --part-number 2, the same MD5" \
        "$(slice_md5 f20m $((8 * 1024 * 1024)) $((16 * 1024 * 1024 - 1)))" "$(md5 got 2>&1)"
done
check "aws cli copy: put a plain source" cli s3 cp --only-show-errors f7340032 "s3://$b/copy/plain"
if can "aws cli copies from and to SSE-C" C; then
    mode_args C
    # s3api: `s3 cp s3:// s3:// --sse-c` sends the new key on its HeadObject of the source too,
    # which S3 refuses for a source without SSE-C
    check "aws cli copy plain -> SSE-C" cli s3api copy-object --bucket $b --key copy/c \
        --copy-source "$b/copy/plain" "${PUT[@]}" &&
        head_is "aws cli copy plain -> SSE-C: head-object" copy/c 7340032 &&
        get_is "aws cli copy plain -> SSE-C: the same MD5" copy/c f7340032
    check "aws cli copy-object SSE-C -> SSE-C under another key" cli s3api copy-object --bucket $b \
        --key copy/c2 --copy-source "$b/copy/c" --copy-source-sse-customer-algorithm AES256 \
        --copy-source-sse-customer-key fileb://key1 --sse-customer-algorithm AES256 \
        --sse-customer-key fileb://key2
    rm -f got
    cli s3 cp --only-show-errors "s3://$b/copy/c2" got --sse-c AES256 --sse-c-key fileb://key2 >/dev/null 2>&1
    expect_eq "aws cli copy-object SSE-C -> SSE-C: the same MD5 under the new key" "$(md5 f7340032)" "$(md5 got 2>&1)"
    refused "aws cli copy-object of an SSE-C source without its key: 400 InvalidRequest" \
        InvalidRequest cli s3api copy-object --bucket $b --key copy/x --copy-source "$b/cp/C/7340032"
fi
if can "aws cli copy SSE-C (20 MiB multipart) -> SSE-S3" C S3; then
    mode_args S3
    check "aws cli copy SSE-C (20 MiB multipart) -> SSE-S3" cli s3 cp --only-show-errors "s3://$b/mpu/C" \
        "s3://$b/copy/s3" --sse-c-copy-source AES256 --sse-c-copy-source-key fileb://key1 "${UP[@]}" &&
        head_is "aws cli copy SSE-C -> SSE-S3: head-object" copy/s3 $((20 * 1024 * 1024)) &&
        get_is "aws cli copy SSE-C -> SSE-S3: the same MD5" copy/s3 f20m
fi
if can "aws cli copy SSE-S3 -> SSE-KMS" C S3 KMS; then
    mode_args KMS
    check "aws cli copy SSE-S3 -> SSE-KMS" cli s3 cp --only-show-errors "s3://$b/copy/s3" "s3://$b/copy/kms" "${UP[@]}" &&
        head_is "aws cli copy SSE-S3 -> SSE-KMS: head-object" copy/kms $((20 * 1024 * 1024)) &&
        get_is "aws cli copy SSE-S3 -> SSE-KMS: the same MD5" copy/kms f20m
fi
t_summary
