/* seed.c -- FNV-1a, the SplitMix64 finalizer and seed derivation. */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "base/util.h"

/* Reference SplitMix64 generator (Steele, Lea, Flood 2014; Vigna's
 * splitmix64.c): the state advances by the golden gamma and the output is
 * the mixed state. pb_mix64(x) is the output of one step from state x (the
 * gamma increment followed by the finalizer), so the n-th output (from 0)
 * of the stream started at state 0 is pb_mix64(n * gamma). */
typedef struct { uint64_t state; } splitmix64;
static uint64_t splitmix64_next(splitmix64 *g)
{
    uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t fnv_str(const char *s) { return pb_fnv1a(PB_FNV_OFFSET, s, strlen(s)); }

/* The documented seed derivation, spelled out: FNV-1a over the fields, each
 * followed by the unit separator 0x1f, repeat in decimal, then one SplitMix64 step. */
static uint64_t seed_by_hand(const char *joined, size_t len)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)joined[i];
        h *= UINT64_C(1099511628211);
    }
    splitmix64 g = {h};
    return splitmix64_next(&g);
}

int main(void)
{
    plan(27);

    /* FNV-1a 64 test vectors (Fowler/Noll/Vo reference test suite) */
    ok(PB_FNV_OFFSET == UINT64_C(0xcbf29ce484222325), "offset basis 0xcbf29ce484222325");
    ok(fnv_str("") == UINT64_C(0xcbf29ce484222325), "fnv1a(\"\") = 0xcbf29ce484222325");
    ok(fnv_str("a") == UINT64_C(0xaf63dc4c8601ec8c), "fnv1a(\"a\") = 0xaf63dc4c8601ec8c");
    ok(fnv_str("foobar") == UINT64_C(0x85944171f73967e8), "fnv1a(\"foobar\") = 0x85944171f73967e8");
    ok(fnv_str("b") == UINT64_C(0xaf63df4c8601f1a5), "fnv1a(\"b\") = 0xaf63df4c8601f1a5");
    ok(fnv_str("foo") == UINT64_C(0xdcb27518fed9d577), "fnv1a(\"foo\") = 0xdcb27518fed9d577");
    ok(pb_fnv1a(fnv_str("foo"), "bar", 3) == fnv_str("foobar"), "fnv1a continues from a previous hash");
    unsigned char zero = 0;
    ok(pb_fnv1a(PB_FNV_OFFSET, &zero, 1) == UINT64_C(0xaf63bd4c8601b7df), "fnv1a of one NUL byte = 0xaf63bd4c8601b7df");
    unsigned char hi = 0xff;
    ok(pb_fnv1a(PB_FNV_OFFSET, &hi, 1) != pb_fnv1a(PB_FNV_OFFSET, "\x7f", 1), "bytes >= 0x80 are hashed unsigned");

    /* SplitMix64: published first outputs of the generator seeded with 0 */
    splitmix64 g = {0};
    ok(pb_mix64(0) == UINT64_C(0xe220a8397b1dcdaf), "mix64(0) = 0xe220a8397b1dcdaf (first SplitMix64 output from 0)");
    ok(pb_mix64(UINT64_C(0x9E3779B97F4A7C15)) == UINT64_C(0x6e789e6aa1b965f4),
       "mix64(gamma) = 0x6e789e6aa1b965f4 (second output)");
    int agree = 1;
    for (int i = 0; i < 1000; i++) agree &= pb_mix64((uint64_t)i * UINT64_C(0x9E3779B97F4A7C15)) == splitmix64_next(&g);
    ok(agree, "mix64(n * gamma) equals the n-th output of a reference SplitMix64 stream (n < 1000)");
    static const uint64_t xs[] = {1, 42, UINT64_C(0xdeadbeefcafebabe), UINT64_MAX, UINT64_C(1) << 63};
    agree = 1;
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        splitmix64 h = {xs[i]};
        agree &= pb_mix64(xs[i]) == splitmix64_next(&h);
    }
    ok(agree, "mix64 agrees with the reference on 1, 42, 0xdeadbeefcafebabe, 2^64-1, 2^63");
    ok(pb_mix64(1) != pb_mix64(2) && pb_mix64(0) != 0, "mix64 separates neighbours");

    /* pb_seed */
    uint64_t s = pb_seed("p1", "wine", "mlp:13-13-3:tanh", "obd", 3, "rank");
    ok(s == pb_seed("p1", "wine", "mlp:13-13-3:tanh", "obd", 3, "rank"), "pb_seed is deterministic");
    static const char joined[] = "p1\x1fwine\x1fmlp:13-13-3:tanh\x1fobd\x1f" "3\x1frank\x1f";
    ok(s == seed_by_hand(joined, sizeof joined - 1), "pb_seed = mix64(fnv1a(fields joined by 0x1f, each terminated))");
    ok(s != pb_seed("p2", "wine", "mlp:13-13-3:tanh", "obd", 3, "rank"), "experiment changes the seed");
    ok(s != pb_seed("p1", "boston", "mlp:13-13-3:tanh", "obd", 3, "rank"), "dataset changes the seed");
    ok(s != pb_seed("p1", "wine", "mlp:13-13-3:relu", "obd", 3, "rank"), "model changes the seed");
    ok(s != pb_seed("p1", "wine", "mlp:13-13-3:tanh", "random", 3, "rank"), "method changes the seed");
    ok(s != pb_seed("p1", "wine", "mlp:13-13-3:tanh", "obd", 4, "rank"), "repeat changes the seed");
    ok(s != pb_seed("p1", "wine", "mlp:13-13-3:tanh", "obd", 3, "init"), "purpose changes the seed");
    ok(pb_seed("ab", "c", "", "", 0, "") != pb_seed("a", "bc", "", "", 0, ""),
       "field boundaries matter: (\"ab\",\"c\") != (\"a\",\"bc\")");
    ok(pb_seed("x", "", "ab", "c", 0, "") != pb_seed("x", "", "a", "bc", 0, ""),
       "field boundaries matter in model/method too");
    ok(pb_seed("", "", "", "", 1, "1x") != pb_seed("", "", "", "", 11, "x"),
       "repeat and purpose do not run together: (1,\"1x\") != (11,\"x\")");
    ok(pb_seed("", "", "", "", 0, "") != pb_seed("", "", "", "", 0, "\x1f"),
       "an empty purpose differs from a purpose of one separator byte");
    /* what the CLI derives for a split seed */
    static const char split[] = "split\x1fwine\x1f\x1f\x1f" "0\x1fsplit\x1f";
    ok(pb_seed("split", "wine", "", "", 0, "split") == seed_by_hand(split, sizeof split - 1),
       "the split seed of wine repeat 0 matches the hand derivation");
    return done_testing();
}
