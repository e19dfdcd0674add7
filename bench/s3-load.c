/*
 * bench/s3-load.c: a small S3 load generator on libcurl's multi interface (issue 19). One
 * thread keeps --concurrency requests in flight, each on an easy handle of its own that is
 * reused (keep-alive: the multi handle keeps at most that many connections), SigV4-signed by
 * libcurl (CURLOPT_AWS_SIGV4 "aws:amz:us-east-1:s3") or unsigned (--unsigned). curl 7.88
 * sends no x-amz-content-sha256 and signs a streamed body as the empty string's hash, so the
 * server must hash the body to find out; --unsigned-payload sends x-amz-content-sha256:
 * UNSIGNED-PAYLOAD (curl then signs that value), as the AWS SDKs do over TLS.
 *
 *   bench/s3-load --endpoint http://127.0.0.1:8080 --bucket B [--op put|get|mixed]
 *                 [--size BYTES] [--concurrency C] [--seconds S | --count N] [--keys K]
 *                 [--prefix P] [--access-key AK --secret SK] [--unsigned] [--no-verify]
 *                 [--unsigned-payload] [--sse none|c|s3|kms [--kms-key NAME]]
 *                 [--get-percent P] [--slices M]
 *
 * Objects: key = PREFIX + the index (0..K-1, zero-padded); its body is --size bytes of a fixed
 * pseudo-random pattern (the same in every run) starting at an offset derived from the key, so
 * two keys differ and a GET checks every byte it receives (unless --no-verify). PUT takes the
 * indexes in order (0, 1, 2, ... wrapping at K): a PUT run of --count K writes every key once;
 * GET picks keys uniformly at random (they must exist: PUT them first; so must mixed's, whose
 * PUTs overwrite keys in order with the same bodies). Any answer other than 2xx, a transfer
 * failure, or a GET body that differs from what was PUT (bytes or length) is an error, counted
 * and not in the rates or latencies. The first few errors are printed on stderr.
 *
 * Server-side encryption (issue 20), --sse: none (the default) sends no SSE header; c (SSE-C)
 * sends x-amz-server-side-encryption-customer-algorithm: AES256, -customer-key and
 * -customer-key-MD5 of a fixed 32-byte key (SSE_C_KEY) on PUT and on GET; s3 sends
 * x-amz-server-side-encryption: AES256 and kms sends aws:kms, plus
 * x-amz-server-side-encryption-aws-kms-key-id: NAME with --kms-key NAME (without it the
 * gateway uses the built-in aws/s3), on PUT only. The headers are in CURLOPT_HTTPHEADER, so
 * curl signs them as it signs the others (SignedHeaders lists every header given there). A
 * GET still checks the plaintext, and (unless --no-verify) every 2xx answer must state the
 * mode (x-amz-server-side-encryption-customer-algorithm: AES256, x-amz-server-side-encryption:
 * AES256 or aws:kms), else it is an error: an object stored in the clear is not measured as
 * an encrypted one. A gateway refuses SSE-C over plain HTTP unless its [gateway]
 * sse_c_allow_http is true.
 *
 * Prints one human line and one machine-readable line:
 *   RESULT op=put size=4096 concurrency=16 ops=N errors=E seconds=S ops_s=R mib_s=M
 *          p50_ms=.. p99_ms=.. p999_ms=.. started=N client_cpu_s=C sse=none
 * (one line; "started" is the number of requests started: a PUT run with --keys above it has
 * written keys 0..started-1; client_cpu_s is this process's own CPU time, user + system).
 * With --count N --slices M, a line per M-th of N completions gives that slice's rate (the
 * PUT rate as the bucket fills). Exits 1 when any request failed, 2 on bad usage or setup.
 * Never asserts a time.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#define JOB_MAGIC 0x53334c44u /* "S3LD" */
#define PAT_SPAN 65521u       /* offsets of a body in the pattern: a prime, below 64 KiB */
#define MAX_ERRORS_SHOWN 5
/* --sse c: the key (32 bytes: "cairn-s3-load-sse-c-key-32-bytes") in base64, and the base64
 * of its MD5, as python3's base64.b64encode(k), base64.b64encode(hashlib.md5(k).digest()) */
#define SSE_C_KEY "Y2Fpcm4tczMtbG9hZC1zc2UtYy1rZXktMzItYnl0ZXM="
#define SSE_C_KEY_MD5 "Yk3B+Szr+pzKdGS+5otpOw=="
#define SSE_HDR "x-amz-server-side-encryption"

enum { OP_PUT, OP_GET, OP_MIXED };
enum { SSE_NONE, SSE_C, SSE_S3, SSE_KMS };
static const char *const sse_names[] = {"none", "c", "s3", "kms"};

struct job {
    uint32_t magic;
    CURL *easy;
    int op;       /* OP_PUT or OP_GET */
    uint64_t idx; /* the key's index */
    uint64_t t0_ns;
    size_t off; /* the body's start in the pattern */
    size_t pos; /* bytes sent (PUT) or received (GET) so far */
    int bad;    /* GET: the body differs from the key's */
    int sse_ok; /* --sse: the answer stated the mode */
    char url[1024];
};

static struct {
    const char *endpoint, *bucket, *prefix, *ak, *sk, *kms_key;
    size_t size;
    int concurrency, op, get_percent, sign, verify, slices, unsigned_payload, sse;
    double seconds;
    uint64_t count, keys;
} opt = {.prefix = "s3load/",
         .size = 4096,
         .concurrency = 16,
         .op = OP_PUT,
         .get_percent = 50,
         .sign = 1,
         .verify = 1,
         .keys = 1000};

static unsigned char *pat; /* size + PAT_SPAN bytes of the pattern */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t *lat_us; /* latency of each successful request */
static size_t n_lat, cap_lat;
static uint64_t started, done_ok, done_err, next_put;
static uint64_t bytes_moved;
static struct curl_slist *hdrs_put, *hdrs_get; /* each request's headers, by its kind */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The start of a key's body in the pattern: FNV-1a of the key's name. */
static size_t body_offset(const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ull;
    return (size_t)(h % PAT_SPAN);
}

static size_t on_read(char *buf, size_t sz, size_t n, void *arg)
{
    struct job *j = arg;
    size_t left = opt.size - j->pos, take = sz * n < left ? sz * n : left;
    memcpy(buf, pat + j->off + j->pos, take);
    j->pos += take;
    return take;
}

static size_t on_write(char *buf, size_t sz, size_t n, void *arg)
{
    struct job *j = arg;
    size_t len = sz * n;
    if (opt.verify && j->op == OP_GET && !j->bad &&
        (j->pos + len > opt.size || memcmp(buf, pat + j->off + j->pos, len) != 0))
        j->bad = 1;
    j->pos += len;
    return len;
}

/* --sse: notes an answer's header that states the request's mode (want[] below). */
static size_t on_header(char *buf, size_t sz, size_t n, void *arg)
{
    static const char *const want[][2] = {
        [SSE_C] = {SSE_HDR "-customer-algorithm", "AES256"},
        [SSE_S3] = {SSE_HDR, "AES256"},
        [SSE_KMS] = {SSE_HDR, "aws:kms"},
    };
    struct job *j = arg;
    size_t len = sz * n, nl = strlen(want[opt.sse][0]), vl = strlen(want[opt.sse][1]);
    const char *v = buf + nl + 1, *end = buf + len;

    if (len > nl && buf[nl] == ':' && strncasecmp(buf, want[opt.sse][0], nl) == 0) {
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        if ((size_t)(end - v) == vl && memcmp(v, want[opt.sse][1], vl) == 0)
            j->sse_ok = 1;
    }
    return len;
}

static void usage(FILE *f)
{
    fputs("usage: s3-load --endpoint URL --bucket B [--op put|get|mixed] [--size BYTES]\n"
          "               [--concurrency C] [--seconds S | --count N] [--keys K] [--prefix P]\n"
          "               [--access-key AK --secret SK] [--unsigned] [--unsigned-payload]\n"
          "               [--no-verify] [--sse none|c|s3|kms [--kms-key NAME]]\n"
          "               [--get-percent P] [--slices M]\n"
          "  keys are PREFIX%010u for 0..K-1 (default K 1000, PREFIX s3load/), bodies of\n"
          "  SIZE bytes (default 4096) derived from the key; PUT writes the keys in order,\n"
          "  GET reads random ones and checks each byte; mixed does GET-PERCENT% GETs (50).\n"
          "  --sse: SSE-C with a fixed key (PUT and GET), SSE-S3 or SSE-KMS (PUT; KMS\n"
          "  key NAME, default the gateway's aws/s3); bodies are checked in plaintext.\n"
          "  Credentials default to AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Default:\n"
          "  --concurrency 16 --seconds 10. Prints a RESULT line (see the source's header).\n",
          f);
}

/* Sets j up for its next request and adds it to the multi handle. */
static void start_job(CURLM *m, struct job *j)
{
    int get;
    char key[512];

    if (opt.op == OP_MIXED)
        get = (int)(xorshift(&rng) % 100) < opt.get_percent;
    else
        get = opt.op == OP_GET;
    j->op = get ? OP_GET : OP_PUT;
    j->idx = get ? xorshift(&rng) % opt.keys : next_put++ % opt.keys;
    snprintf(key, sizeof(key), "%s%010" PRIu64, opt.prefix, j->idx);
    snprintf(j->url, sizeof(j->url), "%s/%s/%s", opt.endpoint, opt.bucket, key);
    j->off = body_offset(key);
    j->pos = 0;
    j->bad = 0;
    j->sse_ok = 0;
    curl_easy_setopt(j->easy, CURLOPT_URL, j->url);
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, get ? hdrs_get : hdrs_put);
    if (get) {
        curl_easy_setopt(j->easy, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(j->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)opt.size);
    }
    j->t0_ns = now_ns();
    started++;
    curl_multi_add_handle(m, j->easy);
}

static void finish_job(CURLM *m, struct job *j, CURLcode res)
{
    long status = 0;
    uint64_t us = (now_ns() - j->t0_ns) / 1000;

    curl_multi_remove_handle(m, j->easy);
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    if (res == CURLE_OK && status >= 200 && status < 300 && !j->bad &&
        (j->op != OP_GET || !opt.verify || j->pos == opt.size) &&
        (opt.sse == SSE_NONE || !opt.verify || j->sse_ok)) {
        if (n_lat == cap_lat) {
            cap_lat = cap_lat ? cap_lat * 2 : 65536;
            if (!(lat_us = realloc(lat_us, cap_lat * sizeof(*lat_us)))) {
                fputs("s3-load: out of memory\n", stderr);
                exit(2);
            }
        }
        lat_us[n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
        done_ok++;
        bytes_moved += j->op == OP_GET ? j->pos : opt.size; /* a GET: what came */
        return;
    }
    if (done_err++ < MAX_ERRORS_SHOWN)
        fprintf(stderr, "s3-load: error: %s %s: %s, HTTP %ld%s%s\n",
                j->op == OP_GET ? "GET" : "PUT", j->url, curl_easy_strerror(res), status,
                j->bad || (j->op == OP_GET && opt.verify && status / 100 == 2 && j->pos != opt.size)
                    ? ", body differs"
                    : "",
                opt.sse != SSE_NONE && opt.verify && status / 100 == 2 && !j->sse_ok
                    ? ", the answer does not state the encryption"
                    : "");
}

/* This process's CPU time (user + system): the client's share of the machine. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(double p)
{
    size_t i;
    if (n_lat == 0)
        return 0;
    i = (size_t)(p * (double)n_lat);
    return lat_us[i < n_lat ? i : n_lat - 1] / 1000.0;
}

/* The headers of a PUT (put) or of a GET: every request's, then the SSE ones of --sse. Each
 * goes into CURLOPT_HTTPHEADER, so curl's SigV4 signs it. NULL when out of memory. */
static struct curl_slist *make_headers(int put)
{
    static char kms_hdr[1024];
    struct curl_slist *h = NULL;
    const char *add[8];
    size_t n = 0;

    add[n++] = "Expect:"; /* no 100-continue round trip before a body */
    add[n++] = "Content-Type: application/octet-stream";
    if (opt.unsigned_payload)
        add[n++] = "x-amz-content-sha256: UNSIGNED-PAYLOAD";
    if (opt.sse == SSE_C) {
        add[n++] = SSE_HDR "-customer-algorithm: AES256";
        add[n++] = SSE_HDR "-customer-key: " SSE_C_KEY;
        add[n++] = SSE_HDR "-customer-key-MD5: " SSE_C_KEY_MD5;
    } else if (put && opt.sse == SSE_S3) {
        add[n++] = SSE_HDR ": AES256";
    } else if (put && opt.sse == SSE_KMS) {
        add[n++] = SSE_HDR ": aws:kms";
        if (opt.kms_key) {
            snprintf(kms_hdr, sizeof(kms_hdr), SSE_HDR "-aws-kms-key-id: %s", opt.kms_key);
            add[n++] = kms_hdr;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct curl_slist *t = curl_slist_append(h, add[i]);
        if (!t) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = t;
    }
    return h;
}

static int parse_args(int argc, char **argv)
{
    static const struct option opts[] = {{"endpoint", required_argument, NULL, 'e'},
                                         {"bucket", required_argument, NULL, 'b'},
                                         {"size", required_argument, NULL, 's'},
                                         {"concurrency", required_argument, NULL, 'c'},
                                         {"seconds", required_argument, NULL, 't'},
                                         {"count", required_argument, NULL, 'n'},
                                         {"op", required_argument, NULL, 'o'},
                                         {"keys", required_argument, NULL, 'k'},
                                         {"prefix", required_argument, NULL, 'p'},
                                         {"access-key", required_argument, NULL, 'A'},
                                         {"secret", required_argument, NULL, 'S'},
                                         {"unsigned", no_argument, NULL, 'U'},
                                         {"no-verify", no_argument, NULL, 'V'},
                                         {"unsigned-payload", no_argument, NULL, 'P'},
                                         {"get-percent", required_argument, NULL, 'g'},
                                         {"slices", required_argument, NULL, 'l'},
                                         {"sse", required_argument, NULL, 'E'},
                                         {"kms-key", required_argument, NULL, 'K'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "e:b:s:c:t:n:o:k:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            opt.endpoint = optarg;
            break;
        case 'b':
            opt.bucket = optarg;
            break;
        case 's':
            opt.size = strtoull(optarg, NULL, 10);
            break;
        case 'c':
            opt.concurrency = atoi(optarg);
            break;
        case 't':
            opt.seconds = atof(optarg);
            break;
        case 'n':
            opt.count = strtoull(optarg, NULL, 10);
            break;
        case 'k':
            opt.keys = strtoull(optarg, NULL, 10);
            break;
        case 'p':
            opt.prefix = optarg;
            break;
        case 'A':
            opt.ak = optarg;
            break;
        case 'S':
            opt.sk = optarg;
            break;
        case 'U':
            opt.sign = 0;
            break;
        case 'V':
            opt.verify = 0;
            break;
        case 'P':
            opt.unsigned_payload = 1;
            break;
        case 'g':
            opt.get_percent = atoi(optarg);
            break;
        case 'l':
            opt.slices = atoi(optarg);
            break;
        case 'E':
            for (opt.sse = SSE_NONE; opt.sse <= SSE_KMS; opt.sse++)
                if (strcmp(optarg, sse_names[opt.sse]) == 0)
                    break;
            if (opt.sse > SSE_KMS)
                return -1;
            break;
        case 'K':
            opt.kms_key = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "put") == 0)
                opt.op = OP_PUT;
            else if (strcmp(optarg, "get") == 0)
                opt.op = OP_GET;
            else if (strcmp(optarg, "mixed") == 0)
                opt.op = OP_MIXED;
            else
                return -1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (optind != argc || !opt.endpoint || !opt.bucket || opt.concurrency < 1 || opt.keys == 0 ||
        opt.size == 0 || (opt.seconds > 0 && opt.count > 0) || opt.get_percent < 0 ||
        opt.get_percent > 100 || opt.slices < 0 || (opt.kms_key && opt.sse != SSE_KMS))
        return -1;
    if (opt.seconds <= 0 && opt.count == 0)
        opt.seconds = 10;
    if (!opt.ak)
        opt.ak = getenv("AWS_ACCESS_KEY_ID");
    if (!opt.sk)
        opt.sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (opt.sign && (!opt.ak || !opt.sk)) {
        fputs("s3-load: no credentials (--access-key/--secret, AWS_ACCESS_KEY_ID/"
              "AWS_SECRET_ACCESS_KEY, or --unsigned)\n",
              stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char *op_names[] = {"put", "get", "mixed"};
    struct job *jobs;
    char userpwd[512];
    CURLM *m;
    uint64_t t0, t_end = 0, t_last, slice_t0, slice_ops0 = 0, slice_len = 0, seed = 42;
    double secs, mib_s;
    int i, running, in_flight = 0, left, rc = 0;

    if (parse_args(argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    if (!(pat = malloc(opt.size + PAT_SPAN)) ||
        !(jobs = calloc((size_t)opt.concurrency, sizeof(*jobs)))) {
        fputs("s3-load: out of memory\n", stderr);
        return 2;
    }
    for (i = 0; (size_t)i < opt.size + PAT_SPAN; i++)
        pat[i] = (unsigned char)(xorshift(&seed) >> 24);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(m = curl_multi_init())) {
        fputs("s3-load: libcurl did not initialise\n", stderr);
        return 2;
    }
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)opt.concurrency);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)opt.concurrency);
    if (!(hdrs_put = make_headers(1)) || !(hdrs_get = make_headers(0))) {
        fputs("s3-load: out of memory\n", stderr);
        return 2;
    }
    snprintf(userpwd, sizeof(userpwd), "%s:%s", opt.ak ? opt.ak : "", opt.sk ? opt.sk : "");
    for (i = 0; i < opt.concurrency; i++) {
        struct job *j = &jobs[i];
        j->magic = JOB_MAGIC;
        if (!(j->easy = curl_easy_init())) {
            fputs("s3-load: curl_easy_init failed\n", stderr);
            return 2;
        }
        curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
        curl_easy_setopt(j->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(j->easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, 60000L);
        curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(j->easy, CURLOPT_READDATA, j);
        curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
        if (opt.sse != SSE_NONE && opt.verify) {
            curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_header);
            curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
        }
        if (opt.sign) {
            curl_easy_setopt(j->easy, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
            curl_easy_setopt(j->easy, CURLOPT_USERPWD, userpwd);
        }
    }

    if (opt.slices > 0 && opt.count > 0)
        slice_len = opt.count / (uint64_t)opt.slices > 0 ? opt.count / (uint64_t)opt.slices : 1;
    t0 = slice_t0 = t_last = now_ns();
    if (opt.seconds > 0)
        t_end = t0 + (uint64_t)(opt.seconds * 1e9);
    for (i = 0; i < opt.concurrency && (opt.count == 0 || started < opt.count); i++, in_flight++)
        start_job(m, &jobs[i]);
    while (in_flight > 0) {
        CURLMsg *msg;
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            struct job *j;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            if (!j || j->magic != JOB_MAGIC) {
                fputs("s3-load: a handle without its job\n", stderr);
                return 2;
            }
            finish_job(m, j, msg->data.result);
            in_flight--;
            t_last = now_ns();
            if (slice_len > 0 && (done_ok + done_err) % slice_len == 0) {
                uint64_t ops = done_ok + done_err;
                printf("slice %" PRIu64 "..%" PRIu64 ": %.1f ops/s\n", slice_ops0, ops,
                       (double)(ops - slice_ops0) / ((double)(t_last - slice_t0) / 1e9));
                fflush(stdout);
                slice_ops0 = ops;
                slice_t0 = t_last;
            }
            if ((opt.count > 0 && started < opt.count) || (t_end && t_last < t_end)) {
                start_job(m, j);
                in_flight++;
            }
        }
        if (in_flight > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }

    secs = (double)(t_last - t0) / 1e9;
    qsort(lat_us, n_lat, sizeof(*lat_us), cmp_u32);
    mib_s = (double)bytes_moved / (1024.0 * 1024.0) / secs;
    printf("s3-load: %s %zu B, %d in flight, %.1f s: %" PRIu64 " ok, %.1f ops/s, %.2f MiB/s, "
           "latency ms p50 %.2f p99 %.2f p99.9 %.2f, errors %" PRIu64 "\n",
           op_names[opt.op], opt.size, opt.concurrency, secs, done_ok, (double)done_ok / secs,
           mib_s, pct_ms(0.50), pct_ms(0.99), pct_ms(0.999), done_err);
    printf("RESULT op=%s size=%zu concurrency=%d ops=%" PRIu64 " errors=%" PRIu64
           " seconds=%.3f ops_s=%.1f mib_s=%.2f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f"
           " started=%" PRIu64 " client_cpu_s=%.2f sse=%s\n",
           op_names[opt.op], opt.size, opt.concurrency, done_ok, done_err, secs,
           (double)done_ok / secs, mib_s, pct_ms(0.50), pct_ms(0.99), pct_ms(0.999), started,
           cpu_seconds(), sse_names[opt.sse]);
    if (done_err > 0)
        rc = 1;
    for (i = 0; i < opt.concurrency; i++) {
        jobs[i].magic = 0;
        curl_easy_cleanup(jobs[i].easy);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(hdrs_put);
    curl_slist_free_all(hdrs_get);
    curl_global_cleanup();
    free(jobs);
    free(pat);
    free(lat_us);
    return rc;
}
