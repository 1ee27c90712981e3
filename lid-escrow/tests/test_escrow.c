// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the LID escrow: SHA-256 against FIPS 180-4's examples, the
 * constant-time comparison, every request and every refusal, single-use
 * tokens, expiry (the LID back to the pool, never to another port while
 * held), retransmissions, the rate limit, and the journal underneath
 * (durable before the answer, restored exactly, corruption stops it).
 */
#include "esc_crypto.h"
#include "esc_fixture.h"
#include "ibvmig_escrow.h"
#include "lid_escrow.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define P 0x0002c90300000011ULL		/* the source */
#define Q 0x0002c90300000022ULL		/* a destination */
#define D 0x0002c90300000033ULL		/* another destination */
#define X 0x0002c90300000044ULL		/* some other port */
#define VSW_A 0x0002c903000a0000ULL	/* an HCA's vSwitch... */
#define PF_A 0x0002c903000a0001ULL	/* ...and the PF declared for it */
#define VSW_B 0x0002c903000b0000ULL
#define PF_B 0x0002c903000b0001ULL
#define VF_A1 0x0002c903000a0011ULL	/* VFs behind them */
#define VF_B1 0x0002c903000b0011ULL
#define LID_P 0x0100
#define LID_Q 0x0200
#define TTL 60000

static const struct esc_vswitch vswitches[] = {
	{ VSW_A, PF_A },
	{ VSW_B, PF_B },
};

static const struct esc_key p_keys[] = {
	{ 0xFFFF, ESC_KEY_GROUP },	/* the default, full: stays */
	{ 0x8001, ESC_KEY_EXPLICIT },
	{ 0x0002, ESC_KEY_EXPLICIT },	/* limited */
	{ 0x8123, ESC_KEY_EXPLICIT },
};

static struct esc_config base_cfg(void)
{
	struct esc_config c;

	memset(&c, 0, sizeof(c));
	c.ttl_ms = TTL;
	c.vswitches = vswitches;
	c.nvswitches = 2;
	return c;
}

static void setup(struct fx *f)
{
	struct esc_config c = base_cfg();

	fx_setup(f, &c);
}

static struct esc_port port_p(void)
{
	struct esc_port p = fx_port(P, LID_P);

	p.keys = p_keys;
	p.nkeys = sizeof(p_keys) / sizeof(p_keys[0]);
	return p;
}

static enum esc_status release(struct fx *f, uint64_t requester, const struct esc_port *port,
			       uint64_t dest, uint64_t tid, uint64_t now, struct esc_answer *ans)
{
	struct esc_request r = fx_req(requester, port, tid, now);

	r.dest = dest;
	return esc_release(f->e, &r, ans);
}

typedef enum esc_status (*token_op)(struct esc *, const struct esc_request *,
				    struct esc_answer *);

static enum esc_status with_token(token_op op, struct fx *f, uint64_t requester,
				  const struct esc_port *port, const uint8_t *token, uint64_t tid,
				  uint64_t now, struct esc_answer *ans)
{
	struct esc_request r = fx_req(requester, port, tid, now);

	memcpy(r.token, token, ESC_TOKEN_LEN);
	return op(f->e, &r, ans);
}

/* RELEASE P (keys p_keys) by P at time 0: the answer's token in @token. */
static void released(struct fx *f, uint64_t dest, uint8_t token[ESC_TOKEN_LEN])
{
	struct esc_port p = port_p();
	struct esc_answer a;

	CU_ASSERT_EQUAL_FATAL(release(f, P, &p, dest, 1, 0, &a), ESC_OK);
	memcpy(token, a.token, ESC_TOKEN_LEN);
}

static void drain(struct fx *f)
{
	struct esc_action a;

	while (esc_next_action(f->e, &a) == 0)
		;
}

/* ---- SHA-256 and the comparison ----------------------------------------------------- */

static void hex(const uint8_t *d, char *out)
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256_matches_fips_180_4_examples(void)
{
	static const char *const msg448 =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char *const msg896 =
		"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	uint8_t d[32], chunk[997];
	struct esc_sha256 s;
	char h[65];
	size_t done, n;

	esc_sha256("abc", 3, d);
	hex(d, h);
	CU_ASSERT_STRING_EQUAL(h, "ba7816bf8f01cfea414140de5dae2223"
				  "b00361a396177a9cb410ff61f20015ad");
	esc_sha256("", 0, d);
	hex(d, h);
	CU_ASSERT_STRING_EQUAL(h, "e3b0c44298fc1c149afbf4c8996fb924"
				  "27ae41e4649b934ca495991b7852b855");
	esc_sha256(msg448, strlen(msg448), d);
	hex(d, h);
	CU_ASSERT_STRING_EQUAL(h, "248d6a61d20638b8e5c026930c3e6039"
				  "a33ce45964ff2167f6ecedd419db06c1");
	esc_sha256(msg896, strlen(msg896), d);
	hex(d, h);
	CU_ASSERT_STRING_EQUAL(h, "cf5b16a778af8380036ce59e7b049237"
				  "0b249b11e8f07a51afac45037afee9d1");
	/* A million 'a', fed in pieces that straddle the 64-byte blocks. */
	memset(chunk, 'a', sizeof(chunk));
	esc_sha256_init(&s);
	for (done = 0; done < 1000000; done += n) {
		n = 1000000 - done < sizeof(chunk) ? 1000000 - done : sizeof(chunk);
		esc_sha256_update(&s, chunk, n);
	}
	esc_sha256_final(&s, d);
	hex(d, h);
	CU_ASSERT_STRING_EQUAL(h, "cdc76e5c9914fb9281a1c7e284d73e67"
				  "f1809a48a497200e046d39ccc7112cd0");
}

static void test_constant_time_compare_is_equality(void)
{
	uint8_t a[32], b[32];
	int i, bit;

	for (i = 0; i < 32; i++)
		a[i] = b[i] = (uint8_t)(i * 37 + 1);
	CU_ASSERT(esc_ct_equal(a, b, 32));
	CU_ASSERT(esc_ct_equal(a, b, 0));
	for (i = 0; i < 32; i++) {
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1 << bit);
			CU_ASSERT(!esc_ct_equal(a, b, 32));
			CU_ASSERT(esc_ct_equal(a, b, (size_t)i));	/* the prefix before it */
			b[i] ^= (uint8_t)(1 << bit);
		}
	}
}

/* The core's codes and the wire's are two enums with the same values. */
#define SAME(a, b) CU_ASSERT_EQUAL((int)(a), (int)(b))

static void test_status_codes_are_the_wire_codes(void)
{
	unsigned s;

	_Static_assert((int)ESC_STATUS_MAX == (int)IBVMIG_ESC_STATUS_MAX, "status count");
	_Static_assert((int)ESC_E_LID_BUSY == (int)IBVMIG_ESC_LID_BUSY, "status value");
	_Static_assert((int)ESC_STATE_MAX == (int)IBVMIG_ESC_STATE_MAX, "state count");
	SAME(ESC_E_MALFORMED, IBVMIG_ESC_MALFORMED);
	SAME(ESC_E_UNKNOWN_TOKEN, IBVMIG_ESC_UNKNOWN_TOKEN);
	SAME(ESC_E_EXPIRED_TOKEN, IBVMIG_ESC_EXPIRED_TOKEN);
	SAME(ESC_E_USED_TOKEN, IBVMIG_ESC_USED_TOKEN);
	SAME(ESC_E_WRONG_REQUESTER, IBVMIG_ESC_WRONG_REQUESTER);
	SAME(ESC_E_PORT_HAS_ALIASES, IBVMIG_ESC_PORT_HAS_ALIASES);
	SAME(ESC_E_PORT_IN_ESCROW, IBVMIG_ESC_PORT_IN_ESCROW);
	SAME(ESC_E_PATH_DIFFERS, IBVMIG_ESC_PATH_DIFFERS);
	SAME(ESC_E_GROUP_RULE_KEY, IBVMIG_ESC_GROUP_RULE_KEY);
	SAME(ESC_E_NOT_MASTER, IBVMIG_ESC_NOT_MASTER);
	SAME(ESC_E_JOURNAL, IBVMIG_ESC_JOURNAL);
	SAME(ESC_E_RATE_LIMITED, IBVMIG_ESC_RATE_LIMITED);
	SAME(ESC_E_CAPACITY, IBVMIG_ESC_CAPACITY);
	SAME(ESC_E_INTERNAL, IBVMIG_ESC_INTERNAL);
	SAME(ESC_HELD, IBVMIG_ESC_HELD);
	SAME(ESC_MOVING, IBVMIG_ESC_MOVING);
	SAME(ESC_LIVE, IBVMIG_ESC_LIVE);
	SAME(ESC_CANCELLED, IBVMIG_ESC_CANCELLED);
	SAME(ESC_EXPIRED, IBVMIG_ESC_EXPIRED);
	for (s = 0; s <= ESC_STATUS_MAX; s++)
		CU_ASSERT_STRING_NOT_EQUAL(esc_strerror(s), "unknown status");
	CU_ASSERT_STRING_EQUAL(esc_strerror(ESC_STATUS_MAX + 1), "unknown status");
	CU_ASSERT_STRING_EQUAL(esc_state_name(ESC_MOVING), "moving");
}

static void test_rates_compare_in_gbps(void)
{
	CU_ASSERT_EQUAL(esc_rate_mbps(2), 2500);
	CU_ASSERT_EQUAL(esc_rate_mbps(4), 30000);
	CU_ASSERT_EQUAL(esc_rate_mbps(5), 5000);	/* after 30 Gb/s in the encoding */
	CU_ASSERT_EQUAL(esc_rate_mbps(22), 600000);
	CU_ASSERT_EQUAL(esc_rate_mbps(1), 0);
	CU_ASSERT_EQUAL(esc_rate_mbps(23), 0);
}

/* ---- RELEASE ------------------------------------------------------------------------- */

static void test_release_reserves_the_lid_and_takes_the_keys(void)
{
	struct esc_port p = port_p();
	struct esc_action act;
	struct esc_answer a;
	struct fx f;
	static const uint8_t zero[16];

	setup(&f);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 1000, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.status, ESC_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(a.token, zero, 16), 0);
	CU_ASSERT_EQUAL(a.view.state, ESC_HELD);
	CU_ASSERT_EQUAL(a.view.lid, LID_P);
	CU_ASSERT_EQUAL(a.view.source, P);
	CU_ASSERT_EQUAL(a.view.expires_ms, 1000 + TTL);
	CU_ASSERT_EQUAL(a.view.nkeys, 3);	/* every key but the default */
	CU_ASSERT_EQUAL(a.view.keys[0], 0x8001);
	CU_ASSERT_EQUAL(a.view.keys[1], 0x0002);
	CU_ASSERT_EQUAL(a.view.keys[2], 0x8123);
	CU_ASSERT(esc_lid_reserved(f.e, LID_P));
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P + 1));
	CU_ASSERT_EQUAL(esc_next_action(f.e, &act), 0);
	CU_ASSERT_EQUAL(act.type, ESC_ACT_RESERVE);
	CU_ASSERT_EQUAL(act.lid, LID_P);
	CU_ASSERT_EQUAL(act.port, P);
	CU_ASSERT_EQUAL(act.nkeys, 3);
	CU_ASSERT_EQUAL(act.keys[2], 0x8123);
	CU_ASSERT_EQUAL(esc_next_action(f.e, &act), -ENOENT);
	fx_teardown(&f);
}

static void test_release_from_the_pf_of_the_vswitch(void)
{
	struct esc_port vf = fx_port(VF_A1, 0x300);
	struct esc_answer a;
	struct fx f;

	setup(&f);
	vf.vswitch = VSW_A;
	CU_ASSERT_EQUAL(release(&f, PF_B, &vf, 0, 1, 0, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(release(&f, X, &vf, 0, 2, 0, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(release(&f, PF_A, &vf, 0, 3, 0, &a), ESC_OK);
	/* A port behind no vSwitch: only itself. */
	vf = fx_port(VF_B1, 0x301);
	CU_ASSERT_EQUAL(release(&f, PF_B, &vf, 0, 4, 0, &a), ESC_E_WRONG_REQUESTER);
	/* A vSwitch nobody declared: only the port itself. */
	vf.vswitch = 0x1234;
	CU_ASSERT_EQUAL(release(&f, PF_B, &vf, 0, 5, 0, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(release(&f, VF_B1, &vf, 0, 6, 0, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_release_refusals(void)
{
	struct esc_key group[] = { { 0x8001, ESC_KEY_EXPLICIT }, { 0x8005, ESC_KEY_GROUP } };
	struct esc_key many[ESC_KEYS_MAX + 2];
	struct esc_port p = port_p();
	struct esc_answer a;
	struct esc_stats st;
	struct fx f;
	int i;

	setup(&f);
	p.has_aliases = true;
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_E_PORT_HAS_ALIASES);
	p = port_p();
	p.keys = group;
	p.nkeys = 2;
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 2, 0, &a), ESC_E_GROUP_RULE_KEY);
	for (i = 0; i < ESC_KEYS_MAX + 2; i++)
		many[i] = (struct esc_key){ .pkey = (uint16_t)(0x8010 + i) };
	many[0].pkey = 0x7FFF;		/* the default does not count */
	p.keys = many;
	p.nkeys = ESC_KEYS_MAX + 1;
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 3, 0, &a), ESC_OK);
	f.holder[LID_Q] = X;		/* the SM thinks LID_Q is another port's */
	p = fx_port(Q, LID_Q);
	CU_ASSERT_EQUAL(release(&f, Q, &p, 0, 4, 0, &a), ESC_E_LID_BUSY);
	f.holder[LID_Q] = Q;		/* its own: fine */
	p.nkeys = ESC_KEYS_MAX + 2;
	p.keys = many;
	CU_ASSERT_EQUAL(release(&f, Q, &p, 0, 5, 0, &a), ESC_E_CAPACITY);
	p.nkeys = 0;
	CU_ASSERT_EQUAL(release(&f, Q, &p, 0, 6, 0, &a), ESC_OK);
	/* Refusals change nothing and queue nothing but the two releases. */
	esc_get_stats(f.e, &st);
	CU_ASSERT_EQUAL(st.held, 2);
	CU_ASSERT_EQUAL(st.pending_actions, 2);
	CU_ASSERT_EQUAL(a.status, ESC_OK);
	fx_teardown(&f);
}

static void test_release_refused_while_the_port_is_in_escrow(void)
{
	uint8_t token[16];
	struct esc_port p = port_p(), q = fx_port(Q, LID_Q);
	struct esc_answer a;
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	p.lid = 0x111;			/* P's fresh LID */
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 2, 0, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 3, 10, &a), ESC_OK);
	/* Q, the claimant of a moving escrow, cannot release yet either; nor P. */
	q.lid = LID_P;
	CU_ASSERT_EQUAL(release(&f, Q, &q, 0, 4, 10, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 5, 10, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT_EQUAL(esc_move_live(f.e, 1, 20), 0);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 6, 30, &a), ESC_OK);	/* over: free again */
	fx_teardown(&f);
}

static void test_release_refused_for_a_lid_another_escrow_holds(void)
{
	uint8_t token[16];
	struct esc_port x = fx_port(X, LID_P);
	struct esc_answer a;
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	/* The SM must never have given L to another port; if it did, L stays in escrow. */
	CU_ASSERT_EQUAL(release(&f, X, &x, 0, 2, 0, &a), ESC_E_LID_BUSY);
	fx_teardown(&f);
}

static void test_not_master_and_malformed(void)
{
	struct esc_key dup[] = { { 0x8001, 0 }, { 0x0001, 0 } }, zero[] = { { 0x8000, 0 } },
		       badsrc[] = { { 0x8001, 2 } };
	struct esc_port p = port_p();
	struct esc_request r;
	struct esc_answer a;
	struct fx f;

	setup(&f);
	r = fx_req(P, &p, 1, 0);
	r.master = false;
	CU_ASSERT_EQUAL(esc_release(f.e, &r, &a), ESC_E_NOT_MASTER);
	r = fx_req(P, &p, 2, 0);
	r.requester = 0;
	CU_ASSERT_EQUAL(esc_release(f.e, &r, &a), ESC_E_MALFORMED);
	r = fx_req(P, &p, 3, 0);
	r.dest = P;
	CU_ASSERT_EQUAL(esc_release(f.e, &r, &a), ESC_E_MALFORMED);
#define MALFORMED_IF(field, value, tid)                                                  \
	do {                                                                              \
		struct esc_port bad = port_p();                                           \
		bad.field = value;                                                        \
		CU_ASSERT_EQUAL(release(&f, P, &bad, 0, tid, 0, &a), ESC_E_MALFORMED);    \
	} while (0)
#define MALFORMED_KEYS(list, n, tid)                                                     \
	do {                                                                              \
		struct esc_port bad = port_p();                                           \
		bad.keys = list;                                                          \
		bad.nkeys = n;                                                            \
		CU_ASSERT_EQUAL(release(&f, P, &bad, 0, tid, 0, &a), ESC_E_MALFORMED);    \
	} while (0)
	MALFORMED_IF(guid, 0, 4);
	MALFORMED_IF(lid, 0, 5);
	MALFORMED_IF(lid, 0xC000, 6);
	MALFORMED_IF(mtu, 0, 7);
	MALFORMED_IF(mtu, 6, 8);
	MALFORMED_IF(rate, 1, 9);
	MALFORMED_IF(rate, 23, 10);
	MALFORMED_KEYS(dup, 2, 11);
	MALFORMED_KEYS(zero, 1, 12);
	MALFORMED_KEYS(badsrc, 1, 13);
	MALFORMED_KEYS(NULL, 1, 14);
#undef MALFORMED_KEYS
#undef MALFORMED_IF
	/* A token request with an all-zero token. */
	r = fx_req(Q, &p, 15, 0);
	CU_ASSERT_EQUAL(esc_claim(f.e, &r, &a), ESC_E_MALFORMED);
	CU_ASSERT_EQUAL(esc_query(f.e, &r, &a), ESC_E_MALFORMED);
	fx_teardown(&f);
}

static void test_release_waits_for_the_journal(void)
{
	struct esc_port p = port_p();
	struct esc_answer a;
	struct esc_stats st;
	struct fx f;
	uint64_t fsyncs;

	setup(&f);
	fsyncs = f.tio.fsyncs;
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_OK);
	CU_ASSERT_EQUAL(f.tio.fsyncs, fsyncs + 1);
	CU_ASSERT_EQUAL(f.tio.last_fsync_call, f.tio.calls);	/* the answer came after it */
	/* A journal that fails: nothing is promised, nothing changes. */
	f.tio.fail_kinds = TIO_FSYNC;
	f.tio.fail_at = f.tio.kind_calls + 1;
	p = fx_port(Q, LID_Q);
	CU_ASSERT_EQUAL(release(&f, Q, &p, 0, 2, 0, &a), ESC_E_JOURNAL);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_Q));
	CU_ASSERT_EQUAL(release(&f, Q, &p, 0, 3, 0, &a), ESC_E_JOURNAL);	/* poisoned */
	esc_get_stats(f.e, &st);
	CU_ASSERT_EQUAL(st.held, 1);
	CU_ASSERT_EQUAL(st.pending_actions, 1);
	CU_ASSERT(st.journal_errors >= 1);
	fx_teardown(&f);
}

static void test_the_token_is_nowhere_but_in_the_answer(void)
{
	uint8_t token[16], hash[32], *buf;
	struct esc_answer a;
	struct stat sb;
	size_t i;
	bool has_token = false, has_hash = false;
	struct fx f;
	int fd;

	setup(&f);
	released(&f, 0, token);
	CU_ASSERT_EQUAL(esc_query(f.e, &(struct esc_request){ .requester = P, .tid = 9,
				  .master = true, .port = port_p() }, &a), ESC_E_MALFORMED);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, P, &(struct esc_port){ .guid = P }, token, 2, 0,
				   &a), ESC_OK);
	for (i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(a.token[i], 0);	/* a QUERY never shows it */
	fd = open(f.path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0 && fstat(fd, &sb) == 0);
	buf = malloc((size_t)sb.st_size);
	CU_ASSERT_EQUAL_FATAL(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	{
		static const char domain[] = "ibvmig-escrow-token-v1";
		struct esc_sha256 s;

		esc_sha256_init(&s);
		esc_sha256_update(&s, domain, sizeof(domain) - 1);
		esc_sha256_update(&s, token, 16);
		esc_sha256_final(&s, hash);
	}
	for (i = 0; i + 32 <= (size_t)sb.st_size; i++) {
		has_token |= !memcmp(buf + i, token, 16);
		has_hash |= !memcmp(buf + i, hash, 32);
	}
	CU_ASSERT(!has_token);
	CU_ASSERT(has_hash);
	free(buf);
	fx_teardown(&f);
}

static void test_random_source_failure_is_internal(void)
{
	struct esc_port p = port_p();
	struct esc_answer a;
	struct fx f;

	setup(&f);
	f.random_error = EIO;
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_E_INTERNAL);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P));
	f.random_error = 0;
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 2, 0, &a), ESC_OK);
	fx_teardown(&f);
}

/* Draws: all zero, then T, then T again, then T + 1: a token is never zero nor reused. */
static int scripted_random(void *ctx, void *buf, size_t len)
{
	int *draws = ctx;

	memset(buf, 0x11, len);
	if (len != ESC_TOKEN_LEN)
		return 0;		/* the handle's hash seeds */
	switch ((*draws)++) {
	case 0:
		memset(buf, 0, len);
		break;
	case 3:
		((uint8_t *)buf)[15]++;
		break;
	default:
		break;
	}
	return 0;
}

static void test_a_token_is_never_zero_nor_reused(void)
{
	struct esc_config c = base_cfg();
	struct esc_port p = port_p(), x = fx_port(X, 0x444);
	struct esc_answer a, b;
	int draws = 0;
	struct fx f;

	c.random = scripted_random;
	c.random_ctx = &draws;
	fx_setup(&f, &c);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.token[0], 0x11);	/* the zero draw was refused */
	CU_ASSERT_EQUAL(release(&f, X, &x, 0, 1, 0, &b), ESC_OK);
	CU_ASSERT_EQUAL(draws, 4);		/* the repeated draw was refused too */
	CU_ASSERT_NOT_EQUAL(memcmp(a.token, b.token, ESC_TOKEN_LEN), 0);
	fx_teardown(&f);
}

static void test_capacity_bounds_the_escrows(void)
{
	struct esc_config c = base_cfg();
	struct esc_answer a;
	struct esc_port p;
	struct fx f;
	int i;

	c.capacity = 3;
	fx_setup(&f, &c);
	for (i = 0; i < 3; i++) {
		p = fx_port(0x1000 + (uint64_t)i, (uint16_t)(0x10 + i));
		CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, 0, &a), ESC_OK);
	}
	p = fx_port(0x2000, 0x20);
	CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, 0, &a), ESC_E_CAPACITY);
	CU_ASSERT_EQUAL(esc_expire(f.e, TTL), 3);	/* ended escrows make room */
	CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 2, TTL, &a), ESC_OK);
	fx_teardown(&f);
}

/* ---- CLAIM, CANCEL, QUERY --------------------------------------------------------------- */

static void test_claim_moves_the_lid_and_the_keys(void)
{
	struct esc_port q = fx_port(Q, LID_Q);
	struct esc_action act;
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	drain(&f);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 7, 100, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.state, ESC_MOVING);
	CU_ASSERT_EQUAL(a.view.claimant, Q);
	CU_ASSERT_EQUAL(a.view.claimant_old_lid, LID_Q);
	CU_ASSERT(esc_lid_reserved(f.e, LID_P));	/* still, until the move is live */
	CU_ASSERT_EQUAL_FATAL(esc_next_action(f.e, &act), 0);
	CU_ASSERT_EQUAL(act.type, ESC_ACT_MOVE);
	CU_ASSERT_EQUAL(act.port, Q);
	CU_ASSERT_EQUAL(act.source, P);
	CU_ASSERT(!act.to_source);
	CU_ASSERT_EQUAL(act.lid, LID_P);
	CU_ASSERT_EQUAL(act.old_lid, LID_Q);
	CU_ASSERT_EQUAL(act.nkeys, 3);
	CU_ASSERT_EQUAL(act.keys[0], 0x8001);
	/* QUERY says moving until the caller reports the move live. */
	CU_ASSERT_EQUAL(with_token(esc_query, &f, Q, &q, token, 8, 110, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.state, ESC_MOVING);
	CU_ASSERT_EQUAL(esc_move_live(f.e, act.id, 120), 0);
	CU_ASSERT_EQUAL(esc_move_live(f.e, act.id, 120), -ENOENT);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, Q, &q, token, 9, 130, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.state, ESC_LIVE);
	CU_ASSERT_EQUAL(a.view.changed_ms, 120);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P));	/* Q's now, as any assigned LID */
	fx_teardown(&f);
}

static void test_a_token_is_single_use(void)
{
	struct esc_port q = fx_port(Q, LID_Q), d = fx_port(D, 0x333), p = port_p();
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 2, 10, &a), ESC_OK);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, D, &d, token, 3, 11, &a), ESC_E_USED_TOKEN);
	CU_ASSERT_EQUAL(with_token(esc_cancel, &f, P, &p, token, 4, 12, &a), ESC_E_USED_TOKEN);
	CU_ASSERT_EQUAL(esc_move_live(f.e, 1, 13), 0);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, D, &d, token, 5, 14, &a), ESC_E_USED_TOKEN);
	token[15] ^= 1;
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, D, &d, token, 6, 15, &a), ESC_E_UNKNOWN_TOKEN);
	fx_teardown(&f);
}

static void test_claim_only_on_the_destination_named(void)
{
	struct esc_port q = fx_port(Q, LID_Q), d = fx_port(D, 0x333);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, D, token);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 2, 10, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, D, &q, token, 3, 10, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, D, &d, token, 4, 10, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_claim_from_the_port_or_its_pf_only(void)
{
	struct esc_port vf = fx_port(VF_B1, 0x444);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	vf.vswitch = VSW_B;
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, PF_A, &vf, token, 2, 10, &a),
			ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, P, &vf, token, 3, 10, &a),
			ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, PF_B, &vf, token, 4, 10, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_claim_refusals(void)
{
	struct esc_port q = fx_port(Q, LID_Q), x = fx_port(X, 0x444);
	struct esc_answer a;
	uint8_t token[16], other[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	q.has_aliases = true;
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 2, 1, &a), ESC_E_PORT_HAS_ALIASES);
	q = fx_port(Q, LID_Q);
	q.mtu = 4;			/* 2048 < 4096 */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 3, 1, &a), ESC_E_PATH_DIFFERS);
	q = fx_port(Q, LID_Q);
	q.rate = 12;			/* 56 < 100 Gb/s */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 4, 1, &a), ESC_E_PATH_DIFFERS);
	q.rate = 17;			/* 200 Gb/s: faster is fine */
	f.holder[LID_P] = X;		/* the SM gave L to X after all */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 5, 1, &a), ESC_E_LID_BUSY);
	f.holder[LID_P] = P;		/* the release is not applied yet: fine */
	/* Q is the source of another held escrow: it cannot take a LID. */
	CU_ASSERT_EQUAL(release(&f, X, &x, 0, 6, 1, &a), ESC_OK);
	memcpy(other, a.token, 16);
	x.lid = 0x555;
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, X, &x, token, 7, 1, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 8, 1, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_rate_codes_that_are_not_monotonic(void)
{
	struct esc_port p = port_p(), q = fx_port(Q, LID_Q);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	p.rate = 5;			/* 5 Gb/s */
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_OK);
	memcpy(token, a.token, 16);
	q.rate = 4;			/* 30 Gb/s, a smaller code */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 2, 1, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_cancel_gives_the_lid_back_to_the_source(void)
{
	struct esc_port p = port_p(), q = fx_port(Q, LID_Q);
	struct esc_action act;
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	drain(&f);
	p.lid = 0x199;			/* the LID P was given meanwhile */
	CU_ASSERT_EQUAL(with_token(esc_cancel, &f, Q, &q, token, 2, 5, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_cancel, &f, Q, &p, token, 3, 5, &a), ESC_E_WRONG_REQUESTER);
	p.has_aliases = true;
	CU_ASSERT_EQUAL(with_token(esc_cancel, &f, P, &p, token, 4, 5, &a), ESC_E_PORT_HAS_ALIASES);
	p.has_aliases = false;
	CU_ASSERT_EQUAL(with_token(esc_cancel, &f, P, &p, token, 5, 6, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.state, ESC_MOVING);
	CU_ASSERT(a.view.to_source);
	CU_ASSERT_EQUAL_FATAL(esc_next_action(f.e, &act), 0);
	CU_ASSERT_EQUAL(act.type, ESC_ACT_MOVE);
	CU_ASSERT(act.to_source);
	CU_ASSERT_EQUAL(act.port, P);
	CU_ASSERT_EQUAL(act.lid, LID_P);
	CU_ASSERT_EQUAL(act.old_lid, 0x199);
	CU_ASSERT_EQUAL(act.nkeys, 3);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 6, 7, &a), ESC_E_USED_TOKEN);
	CU_ASSERT_EQUAL(esc_move_live(f.e, act.id, 8), 0);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, P, &p, token, 7, 9, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.state, ESC_CANCELLED);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P));
	fx_teardown(&f);
}

static void test_query_answers_only_those_who_may_ask(void)
{
	struct esc_port p = { .guid = P }, q = { .guid = Q }, d = { .guid = D }, x = { .guid = X },
			vf = { .guid = VF_A1, .vswitch = VSW_A }, pv = port_p();
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	pv.guid = VF_A1;
	pv.vswitch = VSW_A;
	CU_ASSERT_EQUAL(release(&f, PF_A, &pv, D, 1, 0, &a), ESC_OK);
	memcpy(token, a.token, 16);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, PF_A, &vf, token, 2, 1, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.state, ESC_HELD);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, VF_A1, &vf, token, 3, 1, &a), ESC_OK);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, D, &d, token, 4, 1, &a), ESC_OK);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, X, &x, token, 5, 1, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, X, &d, token, 6, 1, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, Q, &q, token, 7, 1, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, P, &p, token, 8, 1, &a), ESC_E_WRONG_REQUESTER);
	CU_ASSERT_EQUAL(a.view.id, 0);	/* a refusal says nothing of the escrow */
	token[0] ^= 0x80;
	CU_ASSERT_EQUAL(with_token(esc_query, &f, D, &d, token, 9, 1, &a), ESC_E_UNKNOWN_TOKEN);
	fx_teardown(&f);
}

/* ---- expiry ----------------------------------------------------------------------------- */

static void test_expiry_frees_the_lid_and_never_earlier(void)
{
	struct esc_port x = fx_port(X, LID_P), q = fx_port(Q, LID_Q);
	struct esc_action acts[4];
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	drain(&f);
	CU_ASSERT_EQUAL(esc_expire(f.e, TTL - 1), 0);
	CU_ASSERT(esc_lid_reserved(f.e, LID_P));
	CU_ASSERT_EQUAL(release(&f, X, &x, 0, 2, TTL - 1, &a), ESC_E_LID_BUSY);
	CU_ASSERT_EQUAL(fx_actions(&f, acts, 4), 0);
	CU_ASSERT_EQUAL(esc_expire(f.e, TTL), 1);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P));
	CU_ASSERT_EQUAL_FATAL(fx_actions(&f, acts, 4), 1);
	CU_ASSERT_EQUAL(acts[0].type, ESC_ACT_FREE);
	CU_ASSERT_EQUAL(acts[0].lid, LID_P);
	CU_ASSERT_EQUAL(acts[0].nkeys, 0);	/* the keys go to nobody */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 3, TTL, &a), ESC_E_EXPIRED_TOKEN);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, P, &(struct esc_port){ .guid = P }, token, 4,
				   TTL, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.state, ESC_EXPIRED);
	/* L is in the pool: another port may have it now. */
	CU_ASSERT_EQUAL(release(&f, X, &x, 5, 5, TTL, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_a_claim_after_the_ttl_expires_the_escrow(void)
{
	struct esc_port q = fx_port(Q, LID_Q);
	struct esc_action acts[2];
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	drain(&f);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 2, TTL + 5, &a),
			ESC_E_EXPIRED_TOKEN);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P));
	CU_ASSERT_EQUAL_FATAL(fx_actions(&f, acts, 2), 1);
	CU_ASSERT_EQUAL(acts[0].type, ESC_ACT_FREE);
	CU_ASSERT_EQUAL(esc_expire(f.e, TTL + 6), 0);
	fx_teardown(&f);
}

static void test_a_moving_escrow_does_not_expire(void)
{
	struct esc_port q = fx_port(Q, LID_Q);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 2, TTL - 1, &a), ESC_OK);
	CU_ASSERT_EQUAL(esc_expire(f.e, 10 * TTL), 0);
	CU_ASSERT(esc_lid_reserved(f.e, LID_P));
	CU_ASSERT_EQUAL(esc_move_live(f.e, 1, 10 * TTL), 0);
	fx_teardown(&f);
}

static void test_the_operator_ends_a_held_escrow(void)
{
	struct esc_port q = fx_port(Q, LID_Q), x = fx_port(X, LID_P);
	struct esc_action acts[2];
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	CU_ASSERT_EQUAL(esc_end(f.e, 1, 10), -ENOENT);
	released(&f, 0, token);
	drain(&f);
	CU_ASSERT_EQUAL(esc_end(f.e, 2, 10), -ENOENT);
	CU_ASSERT_EQUAL(esc_end(f.e, 1, 10), 0);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P));
	CU_ASSERT_EQUAL_FATAL(fx_actions(&f, acts, 2), 1);
	CU_ASSERT_EQUAL(acts[0].type, ESC_ACT_FREE);
	CU_ASSERT_EQUAL(acts[0].lid, LID_P);
	CU_ASSERT_EQUAL(esc_end(f.e, 1, 11), -EBUSY);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 3, 12, &a), ESC_E_EXPIRED_TOKEN);
	/* Ended for good, across a restart too. */
	CU_ASSERT_EQUAL_FATAL(fx_reopen(&f, 13), 0);
	CU_ASSERT_EQUAL(fx_actions(&f, acts, 2), 0);
	CU_ASSERT_EQUAL(release(&f, X, &x, 0, 4, 14, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_a_moving_escrow_is_not_ended_by_the_operator(void)
{
	struct esc_port q = fx_port(Q, LID_Q);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 2, 5, &a), ESC_OK);
	CU_ASSERT_EQUAL(esc_end(f.e, 1, 6), -EBUSY);
	CU_ASSERT(esc_lid_reserved(f.e, LID_P));
	fx_teardown(&f);
}

static void test_the_clock_going_back_is_clamped(void)
{
	struct esc_port q = fx_port(Q, LID_Q), x = fx_port(X, 0x444);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	CU_ASSERT_EQUAL(release(&f, X, &x, 0, 2, TTL / 2, &a), ESC_OK);
	/* A request stamped earlier than one already seen: the time is the latest seen. */
	x = fx_port(D, 0x555);
	CU_ASSERT_EQUAL(release(&f, D, &x, 0, 3, 10, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.created_ms, TTL / 2);
	CU_ASSERT_EQUAL(esc_expire(f.e, TTL), 1);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 4, 5, &a), ESC_E_EXPIRED_TOKEN);
	fx_teardown(&f);
}

static void test_finished_escrows_are_forgotten_in_time(void)
{
	struct esc_config c = base_cfg();
	struct esc_port p, q = fx_port(Q, LID_Q);
	struct esc_answer a;
	uint8_t tokens[3][16];
	struct fx f;
	int i;

	c.tomb_capacity = 2;
	c.tomb_ms = 1000;
	fx_setup(&f, &c);
	for (i = 0; i < 3; i++) {
		p = fx_port(0x1000 + (uint64_t)i, (uint16_t)(0x10 + i));
		CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, (uint64_t)i, &a), ESC_OK);
		memcpy(tokens[i], a.token, 16);
	}
	CU_ASSERT_EQUAL(esc_expire(f.e, TTL + 2), 3);
	/* Two are remembered: the oldest is unknown now. */
	p = fx_port(0x1000, 0x10);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, p.guid, &p, tokens[0], 2, TTL + 3, &a),
			ESC_E_UNKNOWN_TOKEN);
	p = fx_port(0x1002, 0x12);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, p.guid, &p, tokens[2], 3, TTL + 3, &a), ESC_OK);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, tokens[2], 4, TTL + 1002, &a),
			ESC_E_UNKNOWN_TOKEN);
	fx_teardown(&f);
}

/* ---- retransmissions and the rate limit ------------------------------------------------------ */

static void test_a_retransmission_gets_the_first_answer(void)
{
	struct esc_port p = port_p(), q = fx_port(Q, LID_Q);
	struct esc_answer first, again;
	struct esc_stats st;
	uint64_t fsyncs;
	struct fx f;

	setup(&f);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 77, 0, &first), ESC_OK);
	fsyncs = f.tio.fsyncs;
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 77, 500, &again), ESC_OK);
	CU_ASSERT(again.retransmit);
	CU_ASSERT_EQUAL(memcmp(again.token, first.token, 16), 0);	/* the same token */
	CU_ASSERT_EQUAL(again.view.id, first.view.id);
	CU_ASSERT_EQUAL(f.tio.fsyncs, fsyncs);		/* nothing written, nothing queued */
	esc_get_stats(f.e, &st);
	CU_ASSERT_EQUAL(st.held, 1);
	CU_ASSERT_EQUAL(st.pending_actions, 1);
	CU_ASSERT_EQUAL(st.retransmits, 1);
	/* A new TID is a new request. */
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 78, 500, &again), ESC_E_PORT_IN_ESCROW);
	/* The same TID from another requester is another request. */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, first.token, 77, 600, &again), ESC_OK);
	CU_ASSERT(!again.retransmit);
	/* A refusal is cached too. */
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 78, 700, &again), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT(again.retransmit);
	fx_teardown(&f);
}

static void test_a_tid_reused_for_another_request_is_malformed(void)
{
	struct esc_port p = port_p(), q = fx_port(Q, LID_Q);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);		/* TID 1 from P */
	CU_ASSERT_EQUAL(with_token(esc_cancel, &f, P, &p, token, 1, 1, &a), ESC_E_MALFORMED);
	CU_ASSERT_EQUAL(release(&f, P, &p, Q, 1, 1, &a), ESC_E_MALFORMED);	/* dest differs */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 5, 2, &a), ESC_OK);
	token[0] ^= 1;
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 5, 2, &a), ESC_E_MALFORMED);
	fx_teardown(&f);
}

static void test_the_retransmission_cache_is_bounded_and_ages(void)
{
	struct esc_config c = base_cfg();
	struct esc_port p = port_p();
	struct esc_answer a;
	struct fx f;

	c.retrans_capacity = 2;
	c.retrans_ms = 1000;
	fx_setup(&f, &c);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_OK);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 2, 0, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_OK);	/* cached */
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 3, 0, &a), ESC_E_PORT_IN_ESCROW);
	/* TID 1 was pushed out by 2 and 3: judged anew. */
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 1, 0, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT(!a.retransmit);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 3, 999, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT(a.retransmit);
	CU_ASSERT_EQUAL(release(&f, P, &p, 0, 3, 1999, &a), ESC_E_PORT_IN_ESCROW);
	CU_ASSERT(!a.retransmit);	/* too old: judged anew */
	fx_teardown(&f);
}

static void test_failed_claims_are_rate_limited(void)
{
	struct esc_config c = base_cfg();
	struct esc_port q = fx_port(Q, LID_Q), d = fx_port(D, 0x333);
	uint8_t token[16], guess[16];
	struct esc_answer a;
	struct fx f;
	int i;

	c.fail_limit = 3;
	c.fail_window_ms = 10000;
	fx_setup(&f, &c);
	released(&f, 0, token);
	memcpy(guess, token, 16);
	for (i = 0; i < 3; i++) {
		guess[0] = (uint8_t)(token[0] + 1 + i);
		CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, guess, 10 + (uint64_t)i, 100, &a),
				ESC_E_UNKNOWN_TOKEN);
	}
	/* The right token now: refused without looking at it. */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 20, 1000, &a),
			ESC_E_RATE_LIMITED);
	CU_ASSERT_EQUAL(a.retry_after_ms, 100 + 10000 - 1000);
	CU_ASSERT_EQUAL(with_token(esc_query, &f, Q, &q, token, 21, 1000, &a),
			ESC_E_RATE_LIMITED);
	/* Another port is not limited. */
	CU_ASSERT_EQUAL(with_token(esc_query, &f, D, &d, guess, 22, 1000, &a),
			ESC_E_UNKNOWN_TOKEN);
	/* The window ends. */
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 23, 10100, &a), ESC_OK);
	fx_teardown(&f);
}

static void test_only_guesses_count_against_the_limit(void)
{
	struct esc_config c = base_cfg();
	struct esc_port q = fx_port(Q, LID_Q);
	struct esc_answer a;
	uint8_t token[16];
	struct fx f;
	int i;

	c.fail_limit = 2;
	fx_setup(&f, &c);
	released(&f, 0, token);
	q.mtu = 1;
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 10 + (uint64_t)i, 1, &a),
				ESC_E_PATH_DIFFERS);
	q.mtu = 5;
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, Q, &q, token, 20, 1, &a), ESC_OK);
	fx_teardown(&f);
}

/* ---- the journal underneath ------------------------------------------------------------------ */

/* Four escrows in four states, then a restart: the same four, and what to redo. */
static void test_a_restart_restores_every_escrow_exactly(void)
{
	struct esc_port p, q;
	struct esc_view *before, *after;
	struct esc_action acts[8];
	size_t nb, na, i;
	struct esc_answer a;
	uint8_t tok[4][16];
	struct fx f;
	int n;

	setup(&f);
	for (i = 0; i < 4; i++) {
		p = fx_port(0x1000 + i, (uint16_t)(0x10 + i));
		p.keys = p_keys;
		p.nkeys = 4;
		CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, 10 * i, &a), ESC_OK);
		memcpy(tok[i], a.token, 16);
	}
	q = fx_port(0x2001, 0x21);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, q.guid, &q, tok[1], 1, 100, &a), ESC_OK);
	q = fx_port(0x2002, 0x22);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, q.guid, &q, tok[2], 1, 110, &a), ESC_OK);
	CU_ASSERT_EQUAL(esc_move_live(f.e, 3, 120), 0);
	p = fx_port(0x1003, 0x99);
	CU_ASSERT_EQUAL(with_token(esc_cancel, &f, p.guid, &p, tok[3], 2, 130, &a), ESC_OK);
	CU_ASSERT_EQUAL_FATAL(esc_list(f.e, &before, &nb), 0);
	CU_ASSERT_EQUAL_FATAL(fx_reopen(&f, 140), 0);
	CU_ASSERT_EQUAL_FATAL(esc_list(f.e, &after, &na), 0);
	CU_ASSERT_EQUAL_FATAL(na, nb);
	for (i = 0; i < na; i++)
		CU_ASSERT(fx_views_equal(&before[i], &after[i]));
	/* Redo: keep escrow 1 reserved; finish the moves of 2 and 4. */
	n = fx_actions(&f, acts, 8);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(acts[0].type, ESC_ACT_RESERVE);
	CU_ASSERT_EQUAL(acts[0].id, 1);
	CU_ASSERT_EQUAL(acts[1].type, ESC_ACT_MOVE);
	CU_ASSERT_EQUAL(acts[2].type, ESC_ACT_MOVE);
	CU_ASSERT(acts[1].id + acts[2].id == 6);
	/* The tokens still work, and new ids go on from the last. */
	q = fx_port(0x2000, 0x20);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, q.guid, &q, tok[0], 5, 150, &a), ESC_OK);
	CU_ASSERT_EQUAL(with_token(esc_claim, &f, q.guid, &q, tok[2], 6, 150, &a),
			ESC_E_USED_TOKEN);
	p = fx_port(0x3000, 0x30);
	CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, 160, &a), ESC_OK);
	CU_ASSERT_EQUAL(a.view.id, 5);
	free(before);
	free(after);
	fx_teardown(&f);
}

static void test_escrows_past_their_ttl_expire_at_the_start(void)
{
	struct esc_action acts[4];
	uint8_t token[16];
	struct fx f;

	setup(&f);
	released(&f, 0, token);
	CU_ASSERT_EQUAL_FATAL(fx_reopen(&f, TTL + 1), 0);
	CU_ASSERT(!esc_lid_reserved(f.e, LID_P));
	CU_ASSERT_EQUAL(fx_actions(&f, acts, 4), 1);
	CU_ASSERT_EQUAL(acts[0].type, ESC_ACT_FREE);
	fx_teardown(&f);
}

static void test_auto_compaction_keeps_the_state(void)
{
	struct esc_config c = base_cfg();
	struct esc_view *before, *after;
	struct esc_answer a;
	struct esc_stats st;
	struct esc_port p, q;
	size_t nb, na, i;
	struct fx f;

	c.compact = true;
	memset(&f, 0, sizeof(f));
	fx_setup(&f, &c);
	f.compact_factor = 1;
	CU_ASSERT_EQUAL_FATAL(fx_reopen(&f, 0), 0);
	for (i = 0; i < 200; i++) {
		p = fx_port(0x1000 + i, (uint16_t)(0x10 + i));
		CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, i, &a), ESC_OK);
		if (i % 3)
			continue;
		q = fx_port(0x5000 + i, (uint16_t)(0x1000 + i));
		CU_ASSERT_EQUAL(with_token(esc_claim, &f, q.guid, &q, a.token, 1, i, &a), ESC_OK);
		if (i % 2)
			CU_ASSERT_EQUAL(esc_move_live(f.e, a.view.id, i), 0);
	}
	esc_get_stats(f.e, &st);
	CU_ASSERT(st.compactions >= 1);
	CU_ASSERT_EQUAL(st.compaction_errors, 0);
	CU_ASSERT_EQUAL_FATAL(esc_list(f.e, &before, &nb), 0);
	CU_ASSERT_EQUAL_FATAL(fx_reopen(&f, 300), 0);
	CU_ASSERT(f.rep.snapshot_records > 0);
	CU_ASSERT_EQUAL_FATAL(esc_list(f.e, &after, &na), 0);
	CU_ASSERT_EQUAL_FATAL(na, nb);
	for (i = 0; i < na; i++)
		CU_ASSERT(fx_views_equal(&before[i], &after[i]));
	free(before);
	free(after);
	fx_teardown(&f);
}

static void test_a_corrupt_journal_stops_the_escrow(void)
{
	struct esc_answer a;
	struct esc_port p;
	uint8_t token[16], byte;
	struct stat sb;
	struct fx f;
	int fd, i;

	setup(&f);
	for (i = 0; i < 3; i++) {
		p = fx_port(0x1000 + (uint64_t)i, (uint16_t)(0x10 + i));
		CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, 0, &a), ESC_OK);
	}
	(void)token;
	CU_ASSERT_FATAL(stat(f.path, &sb) == 0);
	fd = open(f.path, O_RDWR);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pread(fd, &byte, 1, 100), 1);	/* in the first escrow's record */
	byte ^= 0x10;
	CU_ASSERT_EQUAL(pwrite(fd, &byte, 1, 100), 1);
	close(fd);
	CU_ASSERT_EQUAL(fx_reopen(&f, 0), -EBADMSG);
	CU_ASSERT(strlen(jnl_why(f.j)) > 0);
	/* Not started: it answers nothing but "journal unavailable". */
	p = fx_port(0x2000, 0x20);
	CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, 0, &a), ESC_E_JOURNAL);
	fx_teardown(&f);
}

/* A record with a good CRC but an impossible content: the escrow refuses to start. */
static void test_an_impossible_record_stops_the_escrow(void)
{
	uint8_t rec[100];
	struct fx f;

	setup(&f);
	memset(rec, 0, sizeof(rec));
	rec[0] = 1;			/* version */
	rec[1] = ESC_LIVE;		/* live, but never held in this log */
	rec[11] = 9;			/* id 9 */
	rec[45] = 0x10;			/* LID 0x0010 */
	rec[46] = 5;
	rec[47] = 16;
	rec[55] = 0x11;			/* source */
	rec[71] = 0x22;			/* claimant */
	CU_ASSERT_EQUAL(jnl_append(f.j, ESC_JREC_ESCROW, rec, sizeof(rec), NULL), 0);
	CU_ASSERT_EQUAL(fx_reopen(&f, 0), -EBADMSG);
	CU_ASSERT(strstr(esc_why(f.e), "not held") != NULL);
	fx_teardown(&f);
}

static void test_more_escrows_than_the_capacity_refuse_to_start(void)
{
	struct esc_answer a;
	struct esc_port p;
	struct fx f;
	int i;

	setup(&f);
	for (i = 0; i < 3; i++) {
		p = fx_port(0x1000 + (uint64_t)i, (uint16_t)(0x10 + i));
		CU_ASSERT_EQUAL(release(&f, p.guid, &p, 0, 1, 0, &a), ESC_OK);
	}
	f.cfg.capacity = 2;
	CU_ASSERT_EQUAL(fx_reopen(&f, 0), -ENOSPC);
	CU_ASSERT(strlen(esc_why(f.e)) > 0);
	fx_teardown(&f);
}

static void test_bad_configurations_are_refused(void)
{
	struct esc_vswitch dup[] = { { VSW_A, PF_A }, { VSW_A, PF_B } }, zero[] = { { 0, PF_A } };
	struct jnl_config jc = { .path = "/tmp/ibvmig-esc-cfg.jnl" };
	struct esc_config c;
	struct jnl *j = jnl_new(&jc);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_PTR_NULL(esc_create(NULL));
	CU_ASSERT_PTR_NULL(esc_create(&c));		/* no journal */
	c.journal = j;
	c.capacity = ESC_CAPACITY_MAX + 1;
	CU_ASSERT_PTR_NULL(esc_create(&c));
	c.capacity = 0;
	c.vswitches = dup;
	c.nvswitches = 2;
	CU_ASSERT_PTR_NULL(esc_create(&c));
	c.vswitches = zero;
	c.nvswitches = 1;
	CU_ASSERT_PTR_NULL(esc_create(&c));
	c.vswitches = NULL;
	c.nvswitches = 0;
	{
		struct esc *e = esc_create(&c);	/* defaults, the real random source */

		CU_ASSERT_PTR_NOT_NULL(e);
		CU_ASSERT_EQUAL(esc_set_vswitches(e, dup, 2), -EINVAL);
		CU_ASSERT_EQUAL(esc_set_vswitches(e, vswitches, 2), 0);
		esc_destroy(e);
	}
	jnl_free(j);
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_sha256_matches_fips_180_4_examples),
		UNIT_TEST(test_constant_time_compare_is_equality),
		UNIT_TEST(test_status_codes_are_the_wire_codes),
		UNIT_TEST(test_rates_compare_in_gbps),
		UNIT_TEST(test_release_reserves_the_lid_and_takes_the_keys),
		UNIT_TEST(test_release_from_the_pf_of_the_vswitch),
		UNIT_TEST(test_release_refusals),
		UNIT_TEST(test_release_refused_while_the_port_is_in_escrow),
		UNIT_TEST(test_release_refused_for_a_lid_another_escrow_holds),
		UNIT_TEST(test_not_master_and_malformed),
		UNIT_TEST(test_release_waits_for_the_journal),
		UNIT_TEST(test_the_token_is_nowhere_but_in_the_answer),
		UNIT_TEST(test_random_source_failure_is_internal),
		UNIT_TEST(test_a_token_is_never_zero_nor_reused),
		UNIT_TEST(test_capacity_bounds_the_escrows),
		UNIT_TEST(test_claim_moves_the_lid_and_the_keys),
		UNIT_TEST(test_a_token_is_single_use),
		UNIT_TEST(test_claim_only_on_the_destination_named),
		UNIT_TEST(test_claim_from_the_port_or_its_pf_only),
		UNIT_TEST(test_claim_refusals),
		UNIT_TEST(test_rate_codes_that_are_not_monotonic),
		UNIT_TEST(test_cancel_gives_the_lid_back_to_the_source),
		UNIT_TEST(test_query_answers_only_those_who_may_ask),
		UNIT_TEST(test_expiry_frees_the_lid_and_never_earlier),
		UNIT_TEST(test_a_claim_after_the_ttl_expires_the_escrow),
		UNIT_TEST(test_a_moving_escrow_does_not_expire),
		UNIT_TEST(test_the_operator_ends_a_held_escrow),
		UNIT_TEST(test_a_moving_escrow_is_not_ended_by_the_operator),
		UNIT_TEST(test_the_clock_going_back_is_clamped),
		UNIT_TEST(test_finished_escrows_are_forgotten_in_time),
		UNIT_TEST(test_a_retransmission_gets_the_first_answer),
		UNIT_TEST(test_a_tid_reused_for_another_request_is_malformed),
		UNIT_TEST(test_the_retransmission_cache_is_bounded_and_ages),
		UNIT_TEST(test_failed_claims_are_rate_limited),
		UNIT_TEST(test_only_guesses_count_against_the_limit),
		UNIT_TEST(test_a_restart_restores_every_escrow_exactly),
		UNIT_TEST(test_escrows_past_their_ttl_expire_at_the_start),
		UNIT_TEST(test_auto_compaction_keeps_the_state),
		UNIT_TEST(test_a_corrupt_journal_stops_the_escrow),
		UNIT_TEST(test_an_impossible_record_stops_the_escrow),
		UNIT_TEST(test_more_escrows_than_the_capacity_refuse_to_start),
		UNIT_TEST(test_bad_configurations_are_refused),
	};

	return unit_run("escrow", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}
