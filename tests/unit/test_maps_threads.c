/* bpfbox — test_maps_threads.c: maps under concurrent use.
 *
 * Several threads work on one map at once, the way programs on several
 * CPUs and a user-space reader do in the kernel, and each test checks an
 * invariant that a lost update, a torn list or a double delivery would
 * break: every key a thread owns is where that thread left it; shared
 * counters incremented atomically through value pointers add up; a map
 * never holds more than max_entries; every ring-buffer record arrives
 * exactly once and in each producer's order; every queued value is popped
 * exactly once; perf samples plus lost counts add up to what was sent.
 *
 * Run it under ThreadSanitizer too:
 *   make BUILD=build-tsan SAN=-fsanitize=thread OPT="-O1 -g" build-tsan/tests/test_maps_threads
 * No timing is asserted: timeouts only bound waits.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include "check.h"
#include "bpfbox/maps.h"

#define NT 4      /* threads */
#define NCPU 4

static struct bpfbox_map *mk(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	BPFBOX_OPTS(bpfbox_map_opts, o, .type = type, .key_size = ks, .value_size = vs,
		    .max_entries = max, .map_flags = flags, .nr_cpus = NCPU);
	struct bpfbox_map *m = NULL;
	int err = bpfbox_map__new(&m, &o);
	if (err)
		printf("# create type %u: %d\n", type, err);
	return m;
}

static void run_threads(void *(*fn)(void *), void *args, size_t argsz, int n)
{
	pthread_t th[16];
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, fn, (char *)args + (size_t)i * argsz);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- hash: each thread owns a key range ------------------------------------------- */

#define OWN 300
#define ROUNDS 30

struct own_arg {
	struct bpfbox_map *m;
	int id;
	int errors;
	int present; /* keys this thread left in the map */
};

static void *own_keys(void *p)
{
	struct own_arg *a = p;
	uint32_t vbuf = bpfbox_map__value_buf_size(a->m) / 8;
	uint64_t val[NCPU], out[NCPU];
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(a->id + 1);
	bool in[OWN] = { false };
	for (int r = 0; r < ROUNDS; r++) {
		for (uint32_t i = 0; i < OWN; i++) {
			uint32_t k = (uint32_t)a->id * 100000 + i;
			for (uint32_t c = 0; c < vbuf; c++)
				val[c] = (uint64_t)k * 7 + (uint64_t)r + c;
			int op = (int)(xs(&seed) % 3);
			if (op == 0) {
				int e = bpfbox_map__update(a->m, &k, val, BPFBOX_NOEXIST);
				if (e != (in[i] ? -EEXIST : 0))
					a->errors++;
				in[i] = true;
			} else if (op == 1) {
				int e = bpfbox_map__delete(a->m, &k);
				if (e != (in[i] ? 0 : -ENOENT))
					a->errors++;
				in[i] = false;
			} else {
				int e = bpfbox_map__update(a->m, &k, val, BPFBOX_EXIST);
				if (e != (in[i] ? 0 : -ENOENT))
					a->errors++;
				if (in[i] && (bpfbox_map__lookup(a->m, &k, out) || out[0] != val[0] ||
					      out[vbuf - 1] != val[vbuf - 1]))
					a->errors++;
				/* checked mode: the value pointer is inside a live element */
				void *vp = bpfbox_map__elem(a->m, &k, 0);
				if ((vp != NULL) != in[i] ||
				    (vp && !bpfbox_map__contains(a->m, (uintptr_t)vp, 8, false)))
					a->errors++;
			}
		}
	}
	a->present = 0;
	for (uint32_t i = 0; i < OWN; i++) {
		uint32_t k = (uint32_t)a->id * 100000 + i;
		int e = bpfbox_map__lookup(a->m, &k, out);
		if ((e == 0) != in[i])
			a->errors++;
		a->present += in[i];
	}
	return NULL;
}

static int count_cb(const void *key, const void *value, void *ud)
{
	(*(int *)ud)++;
	return 0;
}

static void test_hash_owners(uint32_t type, uint32_t flags, const char *what)
{
	struct bpfbox_map *m = mk(type, 4, 8, NT * OWN, flags);
	if (!m)
		return;
	struct own_arg args[NT];
	for (int i = 0; i < NT; i++)
		args[i] = (struct own_arg){ .m = m, .id = i };
	run_threads(own_keys, args, sizeof(args[0]), NT);
	int errors = 0, present = 0, seen = 0;
	for (int i = 0; i < NT; i++) {
		CHECK_QUIET(args[i].errors == 0, "%s: thread %d saw %d unexpected results", what, i,
			    args[i].errors);
		errors += args[i].errors;
		present += args[i].present;
	}
	bpfbox_map__for_each(m, count_cb, &seen);
	CHECK(errors == 0 && seen == present,
	      "%s: %d threads x %d keys x %d rounds: every result as expected (%d errors, %d/%d present)",
	      what, NT, OWN, ROUNDS, errors, seen, present);
	bpfbox_map__free(m);
}

/* ---- shared counters through value pointers ----------------------------------------- */

#define ADDS 20000

struct add_arg {
	struct bpfbox_map *m;
	int id;
	int errors;
};

static void *adder(void *p)
{
	struct add_arg *a = p;
	for (int i = 0; i < ADDS; i++) {
		uint32_t k = (uint32_t)i % 8;
		uint64_t *v = bpfbox_map__elem(a->m, &k, (uint32_t)a->id % NCPU);
		if (!v) {
			a->errors++;
			continue;
		}
		__atomic_fetch_add(v, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_counters(uint32_t type, const char *what)
{
	struct bpfbox_map *m = mk(type, 4, 8, 8, 0);
	if (!m)
		return;
	uint64_t zero[NCPU] = { 0 };
	for (uint32_t k = 0; k < 8; k++)
		bpfbox_map__update(m, &k, zero, 0);
	struct add_arg args[NT];
	for (int i = 0; i < NT; i++)
		args[i] = (struct add_arg){ .m = m, .id = i };
	run_threads(adder, args, sizeof(args[0]), NT);
	uint64_t total = 0, out[NCPU];
	int errors = 0;
	for (uint32_t k = 0; k < 8; k++) {
		if (bpfbox_map__lookup(m, &k, out))
			errors++;
		for (uint32_t c = 0; c < bpfbox_map__value_buf_size(m) / 8; c++)
			total += out[c];
	}
	for (int i = 0; i < NT; i++)
		errors += args[i].errors;
	CHECK(errors == 0 && total == (uint64_t)NT * ADDS, "%s: atomic adds through elem() add up (%llu)",
	      what, (unsigned long long)total);
	bpfbox_map__free(m);
}

/* ---- contention on a small shared key set; the map stays within max_entries ---------- */

#define SHARED_KEYS 64
#define SHARED_MAX 16

struct shared_arg {
	struct bpfbox_map *m;
	int id;
	long inserted, deleted;
	int errors;
};

static void *shared_churn(void *p)
{
	struct shared_arg *a = p;
	uint64_t seed = 12345 + (uint64_t)a->id * 7919;
	for (int i = 0; i < 40000; i++) {
		uint32_t k = (uint32_t)(xs(&seed) % SHARED_KEYS);
		uint64_t v = k * 11u;
		switch (xs(&seed) % 4) {
		case 0: {
			int e = bpfbox_map__update(a->m, &k, &v, BPFBOX_NOEXIST);
			if (e == 0)
				a->inserted++;
			else if (e != -EEXIST && e != -E2BIG)
				a->errors++;
			break;
		}
		case 1: {
			int e = bpfbox_map__delete(a->m, &k);
			if (e == 0)
				a->deleted++;
			else if (e != -ENOENT)
				a->errors++;
			break;
		}
		case 2: {
			uint64_t out;
			int e = bpfbox_map__lookup_and_delete(a->m, &k, &out);
			if (e == 0) {
				a->deleted++;
				if (out != v)
					a->errors++;
			} else if (e != -ENOENT)
				a->errors++;
			break;
		}
		default: {
			uint64_t out;
			int e = bpfbox_map__lookup(a->m, &k, &out);
			if (e == 0 ? out != v : e != -ENOENT)
				a->errors++;
		}
		}
	}
	return NULL;
}

static void test_shared(uint32_t flags, const char *what)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_HASH, 4, 8, SHARED_MAX, flags);
	if (!m)
		return;
	struct shared_arg args[NT];
	for (int i = 0; i < NT; i++)
		args[i] = (struct shared_arg){ .m = m, .id = i };
	run_threads(shared_churn, args, sizeof(args[0]), NT);
	long ins = 0, del = 0;
	int errors = 0, seen = 0;
	for (int i = 0; i < NT; i++) {
		ins += args[i].inserted;
		del += args[i].deleted;
		errors += args[i].errors;
	}
	bpfbox_map__for_each(m, count_cb, &seen);
	/* a full map still takes a new key after a delete: no slot was lost */
	uint32_t k;
	uint64_t v = 0;
	int extra = 0;
	for (k = 1000; k < 1000 + SHARED_MAX; k++)
		extra += bpfbox_map__update(m, &k, &v, 0) == 0;
	CHECK(errors == 0 && ins - del == seen && seen <= SHARED_MAX && extra == SHARED_MAX - seen,
	      "%s: 4 threads churn 64 keys in 16 slots: inserts - deletes = %d present, "
	      "%d free slots left", what, seen, extra);
	bpfbox_map__free(m);
}

/* ---- program lookups without the lock ---------------------------------------------------
 * bpfbox_map__elem of a hash walks its chain without the stripe lock.  Two
 * threads churn keys through a map whose elements are constantly unlinked
 * and reused (so elements move between chains under the readers), two
 * threads look up 4 keys that stay: every lookup of them must find them,
 * with their values. */
struct elem_arg {
	struct bpfbox_map *m;
	int id;
	long lookups;
	int errors;
};

static void *elem_churn(void *p)
{
	struct elem_arg *a = p;
	uint64_t seed = 777 + (uint64_t)a->id;
	for (int i = 0; i < 200000; i++) {
		uint32_t k = 100 + (uint32_t)(xs(&seed) % 40);
		uint64_t v = k * 11u;
		if (xs(&seed) & 1)
			bpfbox_map__update(a->m, &k, &v, BPFBOX_ANY);
		else
			bpfbox_map__delete(a->m, &k);
	}
	return NULL;
}

static void *elem_reader(void *p)
{
	struct elem_arg *a = p;
	for (int i = 0; i < 400000; i++) {
		uint32_t k = (uint32_t)(i % 4);
		uint64_t *v = bpfbox_map__elem(a->m, &k, 0);
		a->lookups++;
		if (!v || *v != k * 11u)
			a->errors++;
	}
	return NULL;
}

static void *elem_worker(void *p)
{
	struct elem_arg *a = p;
	return a->id < 2 ? elem_churn(p) : elem_reader(p);
}

static void test_elem_lockfree(uint32_t flags, const char *what)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_HASH, 4, 8, 24, flags);
	if (!m)
		return;
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t v = k * 11u;
		bpfbox_map__update(m, &k, &v, BPFBOX_NOEXIST);
	}
	struct elem_arg args[NT];
	for (int i = 0; i < NT; i++)
		args[i] = (struct elem_arg){ .m = m, .id = i };
	run_threads(elem_worker, args, sizeof(args[0]), NT);
	long lookups = 0;
	int errors = 0;
	for (int i = 0; i < NT; i++) {
		lookups += args[i].lookups;
		errors += args[i].errors;
	}
	CHECK(errors == 0 && lookups == 800000,
	      "%s: %ld program lookups of 4 stable keys while 2 threads churn 40 keys through "
	      "24 slots: %d missed or wrong", what, lookups, errors);
	bpfbox_map__free(m);
}

/* ---- LRU under pressure ----------------------------------------------------------------- */

struct lru_arg {
	struct bpfbox_map *m;
	int id, errors;
};

static void *lru_worker(void *p)
{
	struct lru_arg *a = p;
	uint64_t seed = 99 + (uint64_t)a->id;
	for (int i = 0; i < 30000; i++) {
		uint32_t k = (uint32_t)(xs(&seed) % 500);
		uint64_t v = (uint64_t)k << 8;
		if (i % 3 == 0) {
			if (bpfbox_map__update(a->m, &k, &v, BPFBOX_ANY))
				a->errors++;
		} else if (i % 3 == 1) {
			uint64_t out;
			int e = bpfbox_map__lookup(a->m, &k, &out);
			if (e == 0 ? out != v : e != -ENOENT)
				a->errors++;
		} else {
			bpfbox_map__elem(a->m, &k, 0);
		}
	}
	return NULL;
}

static int lru_check_cb(const void *key, const void *value, void *ud)
{
	uint32_t k;
	uint64_t v;
	memcpy(&k, key, 4);
	memcpy(&v, value, 8);
	int *st = ud;
	st[0]++;
	if (v != (uint64_t)k << 8)
		st[1]++;
	return 0;
}

static void test_lru_threads(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_LRU_HASH, 4, 8, 64, 0);
	if (!m)
		return;
	struct lru_arg args[NT];
	for (int i = 0; i < NT; i++)
		args[i] = (struct lru_arg){ .m = m, .id = i };
	run_threads(lru_worker, args, sizeof(args[0]), NT);
	int st[2] = { 0, 0 }, errors = 0;
	bpfbox_map__for_each(m, lru_check_cb, st);
	for (int i = 0; i < NT; i++)
		errors += args[i].errors;
	CHECK(errors == 0 && st[0] == 64 && st[1] == 0,
	      "LRU: 4 threads over 500 keys in 64 slots: full, values intact, updates never fail "
	      "(%d present, %d bad, %d errors)", st[0], st[1], errors);
	bpfbox_map__free(m);
}

/* ---- ring buffer: several producers, one consumer ------------------------------------------ */

#define RB_PER_PRODUCER 20000
#define RB_PRODUCERS 3

struct rb_rec {
	uint32_t producer, seq;
	uint64_t check;
};

struct rb_prod_arg {
	struct bpfbox_map *m;
	int id;
	uint32_t discarded;
};

static void *rb_producer(void *p)
{
	struct rb_prod_arg *a = p;
	uint64_t seed = 777 + (uint64_t)a->id;
	for (uint32_t seq = 0; seq < RB_PER_PRODUCER;) {
		uint32_t extra = (uint32_t)(xs(&seed) % 64);
		struct rb_rec *r = bpfbox_ringbuf__reserve(a->m, sizeof(*r) + extra, 0);
		if (!r) {
			sched_yield(); /* full: let the consumer run */
			continue;
		}
		if (xs(&seed) % 10 == 0) {
			/* a discarded record never shows up and takes no seq */
			r->producer = 999;
			bpfbox_ringbuf__discard(a->m, r, 0);
			a->discarded++;
			continue;
		}
		r->producer = (uint32_t)a->id;
		r->seq = seq;
		r->check = (uint64_t)a->id * 1000003u + seq + extra;
		memset(r + 1, (int)extra, extra);
		bpfbox_ringbuf__submit(a->m, r, seq % 7 == 0 ? BPFBOX_RB_FORCE_WAKEUP : 0);
		seq++;
	}
	return NULL;
}

struct rb_cons {
	uint32_t next[RB_PRODUCERS];
	long total;
	int errors;
};

static int rb_consume_cb(void *ud, void *data, uint32_t size)
{
	struct rb_cons *c = ud;
	struct rb_rec r;
	if (size < sizeof(r)) {
		c->errors++;
		return 0;
	}
	memcpy(&r, data, sizeof(r));
	uint32_t extra = size - (uint32_t)sizeof(r);
	const uint8_t *tail = (const uint8_t *)data + sizeof(r);
	if (r.producer >= RB_PRODUCERS || r.seq != c->next[r.producer] ||
	    r.check != (uint64_t)r.producer * 1000003u + r.seq + extra ||
	    (extra && (tail[0] != extra || tail[extra - 1] != extra)))
		c->errors++;
	else
		c->next[r.producer]++;
	c->total++;
	return 0;
}

struct rb_cons_arg {
	struct bpfbox_map *m;
	struct rb_cons st;
};

static void *rb_consumer(void *p)
{
	struct rb_cons_arg *a = p;
	long want = (long)RB_PER_PRODUCER * RB_PRODUCERS;
	int idle = 0;
	while (a->st.total < want && idle < 200) {
		int n = bpfbox_ringbuf__poll(a->m, rb_consume_cb, &a->st, 50);
		/* wakeups are not promised for every record: drain anyway */
		n += bpfbox_ringbuf__consume(a->m, rb_consume_cb, &a->st);
		idle = n > 0 ? 0 : idle + 1;
	}
	return NULL;
}

static void test_ringbuf_threads(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_RINGBUF, 0, 0, 16384, 0);
	if (!m)
		return;
	struct rb_prod_arg pa[RB_PRODUCERS];
	struct rb_cons_arg ca = { .m = m };
	pthread_t cons, prod[RB_PRODUCERS];
	pthread_create(&cons, NULL, rb_consumer, &ca);
	for (int i = 0; i < RB_PRODUCERS; i++) {
		pa[i] = (struct rb_prod_arg){ .m = m, .id = i };
		pthread_create(&prod[i], NULL, rb_producer, &pa[i]);
	}
	for (int i = 0; i < RB_PRODUCERS; i++)
		pthread_join(prod[i], NULL);
	pthread_join(cons, NULL);
	bpfbox_ringbuf__consume(m, rb_consume_cb, &ca.st);
	int complete = 1;
	for (int i = 0; i < RB_PRODUCERS; i++)
		complete &= ca.st.next[i] == RB_PER_PRODUCER;
	CHECK(ca.st.errors == 0 && complete && ca.st.total == (long)RB_PER_PRODUCER * RB_PRODUCERS &&
	      bpfbox_ringbuf__query(m, BPFBOX_RB_AVAIL_DATA) == 0,
	      "ringbuf: 3 producers x %d records (some discarded), 1 consumer: each once, in order "
	      "(%ld received, %d errors)", RB_PER_PRODUCER, ca.st.total, ca.st.errors);
	bpfbox_map__free(m);
}

/* ---- queue: two producers, two consumers ---------------------------------------------------- */

#define Q_PER 20000

struct q_arg {
	struct bpfbox_map *m;
	int id;
	uint8_t *seen; /* shared, indexed by value; each slot written by one popper */
	long popped;
	long *remaining;
};

static void *q_producer(void *p)
{
	struct q_arg *a = p;
	for (uint32_t i = 0; i < Q_PER;) {
		uint32_t v = (uint32_t)a->id * Q_PER + i;
		if (bpfbox_map__push_elem(a->m, &v, 0) == 0)
			i++;
		else
			sched_yield();
	}
	return NULL;
}

static void *q_consumer(void *p)
{
	struct q_arg *a = p;
	while (__atomic_load_n(a->remaining, __ATOMIC_RELAXED) > 0) {
		uint32_t v;
		if (bpfbox_map__pop_elem(a->m, &v) == 0) {
			if (v < 2 * Q_PER)
				__atomic_fetch_add(&a->seen[v], 1, __ATOMIC_RELAXED);
			a->popped++;
			__atomic_fetch_sub(a->remaining, 1, __ATOMIC_RELAXED);
		} else {
			sched_yield();
		}
	}
	return NULL;
}

static void test_queue_threads(uint32_t type, const char *what)
{
	struct bpfbox_map *m = mk(type, 0, 4, 100, 0);
	if (!m)
		return;
	static uint8_t seen[2 * Q_PER];
	memset(seen, 0, sizeof(seen));
	long remaining = 2 * Q_PER;
	struct q_arg a[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct q_arg){ .m = m, .id = i % 2, .seen = seen, .remaining = &remaining };
		pthread_create(&th[i], NULL, i < 2 ? q_producer : q_consumer, &a[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	int once = 0;
	for (int i = 0; i < 2 * Q_PER; i++)
		once += seen[i] == 1;
	uint32_t v;
	CHECK(once == 2 * Q_PER && a[2].popped + a[3].popped == 2 * Q_PER &&
	      bpfbox_map__pop_elem(m, &v) == -ENOENT,
	      "%s: 2 pushers, 2 poppers: every value popped exactly once (%d)", what, once);
	bpfbox_map__free(m);
}

/* ---- LPM: readers during updates ------------------------------------------------------------ */

struct lpm4 {
	uint32_t plen;
	uint8_t d[4];
};

struct lpm_arg {
	struct bpfbox_map *m;
	int id, errors;
	int *stop;
};

static void *lpm_writer(void *p)
{
	struct lpm_arg *a = p;
	uint64_t seed = 4242;
	for (int i = 0; i < 20000; i++) {
		uint32_t n = (uint32_t)(xs(&seed) % 64);
		uint32_t len = 8 + (uint32_t)(xs(&seed) % 3) * 8; /* /8, /16, /24 */
		struct lpm4 k = { len, { (uint8_t)n, (uint8_t)(len > 8 ? n : 0),
					 (uint8_t)(len > 16 ? n : 0), 0 } };
		uint32_t v = n;
		if (xs(&seed) & 1)
			bpfbox_map__update(a->m, &k, &v, 0);
		else
			bpfbox_map__delete(a->m, &k);
	}
	__atomic_store_n(a->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *lpm_reader(void *p)
{
	struct lpm_arg *a = p;
	uint64_t seed = 17 + (uint64_t)a->id;
	while (!__atomic_load_n(a->stop, __ATOMIC_ACQUIRE)) {
		uint8_t n = (uint8_t)(xs(&seed) % 64);
		struct lpm4 q = { 32, { n, n, n, (uint8_t)xs(&seed) } };
		uint32_t out;
		int e = bpfbox_map__lookup(a->m, &q, &out);
		/* every prefix of n.n.n.x holds n; the /0 default holds 1000 */
		if (e || (out != n && out != 1000))
			a->errors++;
		uint32_t *vp = bpfbox_map__elem(a->m, &q, 0);
		if (!vp || !bpfbox_map__contains(a->m, (uintptr_t)vp, 4, false))
			a->errors += vp == NULL;
	}
	return NULL;
}

static void test_lpm_threads(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_LPM_TRIE, 8, 4, 256, BPFBOX_F_NO_PREALLOC);
	if (!m)
		return;
	struct lpm4 def = { 0, { 0 } };
	uint32_t dv = 1000;
	bpfbox_map__update(m, &def, &dv, 0);
	int stop = 0;
	struct lpm_arg a[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		a[i] = (struct lpm_arg){ .m = m, .id = i, .stop = &stop };
		pthread_create(&th[i], NULL, i == 0 ? lpm_writer : lpm_reader, &a[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	CHECK(a[1].errors + a[2].errors == 0,
	      "lpm: 2 readers during 20000 updates always find a matching prefix (%d errors)",
	      a[1].errors + a[2].errors);
	bpfbox_map__free(m);
}

/* ---- perf event array ------------------------------------------------------------------------ */

#define PERF_PER 20000

struct perf_prod {
	struct bpfbox_map *m;
	int id;
	long ok, lost;
};

static void *perf_producer(void *p)
{
	struct perf_prod *a = p;
	for (uint32_t i = 0; i < PERF_PER; i++) {
		uint32_t rec[2] = { (uint32_t)a->id, i };
		int e = bpfbox_map__perf_event_output(a->m, BPFBOX_F_CURRENT_CPU, (uint32_t)a->id, rec,
						      sizeof(rec));
		if (e == 0)
			a->ok++;
		else if (e == -ENOSPC)
			a->lost++;
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

struct perf_cons {
	long samples[2], lost[2];
	uint32_t last[2];
	int errors;
};

static void perf_sample_cb(void *ud, int idx, void *data, uint32_t size)
{
	struct perf_cons *c = ud;
	uint32_t rec[2];
	memcpy(rec, data, sizeof(rec));
	/* 8 bytes: size + 4 = 12 is padded to 16, so the sample says 12 */
	if (idx < 0 || idx > 1 || size != 12 || rec[0] != (uint32_t)idx ||
	    (c->samples[idx] && rec[1] <= c->last[idx]))
		c->errors++;
	else {
		c->last[idx] = rec[1];
		c->samples[idx]++;
	}
}

static void perf_lost_cb(void *ud, int idx, uint64_t n)
{
	struct perf_cons *c = ud;
	if (idx >= 0 && idx < 2)
		c->lost[idx] += (long)n;
}

struct perf_cons_arg {
	struct bpfbox_map *m;
	struct perf_cons st;
	int *done;
};

static void *perf_consumer(void *p)
{
	struct perf_cons_arg *a = p;
	while (!__atomic_load_n(a->done, __ATOMIC_ACQUIRE))
		bpfbox_perf__poll(a->m, perf_sample_cb, perf_lost_cb, &a->st, 20);
	return NULL;
}

static void test_perf_threads(void)
{
	BPFBOX_OPTS(bpfbox_map_opts, o, .type = BPFBOX_MAP_TYPE_PERF_EVENT_ARRAY, .key_size = 4,
		    .value_size = 4, .max_entries = 2, .nr_cpus = 2, .perf_buffer_size = 4096);
	struct bpfbox_map *m = NULL;
	if (bpfbox_map__new(&m, &o))
		return;
	int done = 0;
	struct perf_cons_arg ca = { .m = m, .done = &done };
	struct perf_prod pp[2] = { { .m = m, .id = 0 }, { .m = m, .id = 1 } };
	pthread_t c, p0, p1;
	pthread_create(&c, NULL, perf_consumer, &ca);
	pthread_create(&p0, NULL, perf_producer, &pp[0]);
	pthread_create(&p1, NULL, perf_producer, &pp[1]);
	pthread_join(p0, NULL);
	pthread_join(p1, NULL);
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	pthread_join(c, NULL);
	/* a last sample on each index flushes any pending lost count */
	for (uint32_t i = 0; i < 2; i++) {
		uint32_t rec[2] = { i, PERF_PER };
		bpfbox_perf__consume(m, perf_sample_cb, perf_lost_cb, &ca.st);
		if (bpfbox_map__perf_event_output(m, i, 0, rec, sizeof(rec)) == 0)
			pp[i].ok++;
	}
	bpfbox_perf__consume(m, perf_sample_cb, perf_lost_cb, &ca.st);
	int ok = ca.st.errors == 0;
	for (int i = 0; i < 2; i++)
		ok &= ca.st.samples[i] == pp[i].ok && ca.st.lost[i] == pp[i].lost;
	CHECK(ok, "perf: 2 producers x %d: samples + lost add up (%ld+%ld, %ld+%ld; %d errors)", PERF_PER,
	      ca.st.samples[0], ca.st.lost[0], ca.st.samples[1], ca.st.lost[1], ca.st.errors);
	bpfbox_map__free(m);
}

/* ---- bloom ------------------------------------------------------------------------------------- */

struct bloom_arg {
	struct bpfbox_map *m;
	int id, errors;
};

static void *bloom_worker(void *p)
{
	struct bloom_arg *a = p;
	for (uint64_t i = 0; i < 5000; i++) {
		uint64_t v = (uint64_t)a->id << 32 | i;
		if (bpfbox_map__push_elem(a->m, &v, 0) || bpfbox_map__peek_elem(a->m, &v))
			a->errors++;
	}
	return NULL;
}

static void test_bloom_threads(void)
{
	struct bpfbox_map *m = mk(BPFBOX_MAP_TYPE_BLOOM_FILTER, 0, 8, 20000, 0);
	if (!m)
		return;
	struct bloom_arg a[NT];
	for (int i = 0; i < NT; i++)
		a[i] = (struct bloom_arg){ .m = m, .id = i };
	run_threads(bloom_worker, a, sizeof(a[0]), NT);
	int errors = 0, miss = 0;
	for (int i = 0; i < NT; i++)
		errors += a[i].errors;
	for (uint64_t t = 0; t < NT; t++)
		for (uint64_t i = 0; i < 5000; i++) {
			uint64_t v = t << 32 | i;
			miss += bpfbox_map__peek_elem(m, &v) != 0;
		}
	CHECK(errors == 0 && miss == 0, "bloom: concurrent pushes, no false negatives (%d, %d)", errors, miss);
	bpfbox_map__free(m);
}

int main(void)
{
	test_hash_owners(BPFBOX_MAP_TYPE_HASH, 0, "hash");
	test_hash_owners(BPFBOX_MAP_TYPE_HASH, BPFBOX_F_NO_PREALLOC, "hash no-prealloc");
	test_hash_owners(BPFBOX_MAP_TYPE_PERCPU_HASH, 0, "percpu_hash");
	test_counters(BPFBOX_MAP_TYPE_ARRAY, "array");
	test_counters(BPFBOX_MAP_TYPE_PERCPU_ARRAY, "percpu_array");
	test_counters(BPFBOX_MAP_TYPE_HASH, "hash");
	test_counters(BPFBOX_MAP_TYPE_LRU_HASH, "lru_hash");
	test_shared(0, "hash");
	test_shared(BPFBOX_F_NO_PREALLOC, "hash no-prealloc");
	test_elem_lockfree(0, "hash");
	test_elem_lockfree(BPFBOX_F_NO_PREALLOC, "hash no-prealloc");
	test_lru_threads();
	test_ringbuf_threads();
	test_queue_threads(BPFBOX_MAP_TYPE_QUEUE, "queue");
	test_queue_threads(BPFBOX_MAP_TYPE_STACK, "stack");
	test_lpm_threads();
	test_perf_threads();
	test_bloom_threads();
	return check_summary();
}
