/* bpfbox — cli/cmd_xdp.c: packets through a program — `bpfbox xdp`,
 * `bpfbox filter` (socket filters) and `bpfbox tc` (sched_cls/sched_act).
 *
 * Packets come from a pcap/pcapng file (--pcap) or live from an interface
 * (--iface, AF_PACKET); each runs through the program with the context the
 * kernel would build (src/hooks/pktctx.c), and its verdict decides:
 *
 *   xdp     PASS and TX go to --out (with the program's changes); live, TX
 *           is sent back out of the interface and REDIRECT out of the
 *           interface the program chose (bpf_redirect); DROP and ABORTED
 *           are counted.  An unknown action counts as ABORTED, as in the
 *           kernel;
 *   filter  the return value is how many bytes to keep: 0 drops, fewer
 *           than the packet truncates; kept packets go to --out;
 *   tc      TC_ACT_OK, UNSPEC, PIPE, RECLASSIFY and REPEAT pass (to --out);
 *           SHOT, STOLEN, QUEUED and TRAP drop; REDIRECT is sent live.
 *
 * At the end a count per verdict is printed (one JSON line with --json).
 * A program run that stops with an error counts as ABORTED (xdp) / dropped
 * and is reported once on stderr; the exit status is then 1.
 *
 * Live mode observes a copy of the traffic: the kernel still receives
 * every packet whatever the program says (DROP cannot stop it).  It ends
 * after --count packets, --timeout seconds, or SIGINT/SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpfbox/hooks.h"
#include "bpfbox/object.h"
#include "bpfbox/prog_types.h"
#include "bpfbox/vm.h"
#include "cli.h"
#include "hookcli.h"
#include "objload.h"

enum pk_mode { PK_XDP, PK_FILTER, PK_TC };

static const char *const xdp_names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					 "XDP_REDIRECT" };
/* tc verdicts -1 .. 8, index = verdict + 1 */
static const char *const tc_names[] = { "TC_ACT_UNSPEC", "TC_ACT_OK", "TC_ACT_RECLASSIFY",
					"TC_ACT_SHOT", "TC_ACT_PIPE", "TC_ACT_STOLEN",
					"TC_ACT_QUEUED", "TC_ACT_REPEAT", "TC_ACT_REDIRECT",
					"TC_ACT_TRAP" };
static const char *const filter_names[] = { "accepted", "truncated", "dropped" };

#define NCOUNT 10

static const char *name_of(int mode)
{
	return mode == PK_XDP ? "xdp" : mode == PK_FILTER ? "filter" : "tc";
}

static void usage(FILE *f, int mode)
{
	const char *cmd = name_of(mode);
	fprintf(f,
		"usage: bpfbox %s PROG (--pcap IN | --iface IF) [--out OUT.pcap] [options]\n",
		cmd);
	if (mode == PK_XDP)
		fprintf(f,
			"  Runs every packet through an XDP program (struct xdp_md: data, data_end,\n"
			"  data_meta, ingress_ifindex, rx_queue_index; bpf_xdp_adjust_head/tail/meta).\n"
			"  XDP_PASS and XDP_TX packets are written to OUT with the program's changes;\n"
			"  live, XDP_TX is sent back out of IF and XDP_REDIRECT out of the interface\n"
			"  bpf_redirect() chose.  Unknown actions count as XDP_ABORTED.\n");
	else if (mode == PK_FILTER)
		fprintf(f,
			"  Runs every packet through a socket filter (struct __sk_buff: len,\n"
			"  protocol, pkt_type, ifindex, ...; LD_ABS/LD_IND, bpf_skb_load_bytes).  The\n"
			"  return value is the number of bytes to keep: 0 drops the packet, less\n"
			"  than its length truncates it.  Kept packets are written to OUT.\n");
	else
		fprintf(f,
			"  Runs every packet through a tc classifier/action (struct __sk_buff with\n"
			"  data/data_end; bpf_skb_store_bytes, checksum helpers, bpf_redirect).\n"
			"  TC_ACT_OK/UNSPEC/PIPE/RECLASSIFY/REPEAT pass (written to OUT with the\n"
			"  program's changes); SHOT/STOLEN/QUEUED/TRAP drop; live, TC_ACT_REDIRECT is\n"
			"  sent out of the interface bpf_redirect() chose.\n");
	fprintf(f,
		"  PROG is an ELF object or a .bpf.c source; the program run is the first one\n"
		"  of the right type, or --section S / --prog NAME.\n"
		"  --pcap IN          read packets from a pcap or pcapng file\n"
		"  --iface IF         capture live on interface IF (AF_PACKET; needs\n"
		"                     CAP_NET_RAW); bpfbox sees a copy: the kernel still gets\n"
		"                     every packet\n"
		"  --out OUT          write passed packets to OUT (pcap; same link type,\n"
		"                     snapshot length and timestamp precision as IN)\n"
		"  --count N          stop after N packets\n"
		"  --timeout SEC      live: stop after SEC seconds (default: SIGINT/SIGTERM)\n"
		"  --promisc          live: put IF in promiscuous mode\n"
		"  --section S, --prog NAME   which program to run\n"
		"%s"
		"output: trace_printk lines and ring buffer records while packets run, then one\n"
		"  line per verdict with its count (one JSON object with --json)\n"
		"exit status: 0 done, 1 a program run failed or the verifier rejected the\n"
		"  program (--no-verify runs it in checked mode), 2 bad input or usage\n",
		hookcli_options_help);
}

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static bool type_ok(int mode, int type)
{
	switch (mode) {
	case PK_XDP:
		return type == BPFBOX_PROG_TYPE_XDP;
	case PK_FILTER:
		return type == BPFBOX_PROG_TYPE_SOCKET_FILTER;
	default:
		return type == BPFBOX_PROG_TYPE_SCHED_CLS || type == BPFBOX_PROG_TYPE_SCHED_ACT;
	}
}

static struct bpfbox_obj_prog *pick(int mode, struct bpfbox_object *obj, const char *sec,
				    const char *name, char *err, size_t errsz)
{
	if (sec || name)
		return cli_pick_prog(obj, sec, name, err, errsz);
	for (size_t i = 0; i < bpfbox_object__prog_count(obj); i++) {
		struct bpfbox_obj_prog *p = bpfbox_object__prog(obj, i);
		if (!bpfbox_obj_prog__is_function(p) && type_ok(mode, bpfbox_obj_prog__type(p)))
			return p;
	}
	snprintf(err, errsz, "%s: no %s program in the object (use --section or --prog)",
		 bpfbox_object__name(obj),
		 mode == PK_XDP ? "xdp" : mode == PK_FILTER ? "socket filter" : "tc (sched_cls)");
	return NULL;
}

struct pk_args {
	const char *pcap, *iface, *out, *section, *prog;
	unsigned long long count;
	double timeout;
	bool promisc;
};

static int parse_num(const char *cmd, const char *opt, const char *v, double *d)
{
	char *end;
	errno = 0;
	*d = strtod(v, &end);
	if (errno || *end || *d <= 0) {
		cli_err(cmd, "%s takes a positive number, not '%s'", opt, v);
		return -1;
	}
	return 0;
}

static int run_packets(int mode, int argc, char **argv)
{
	const char *cmd = name_of(mode);
	struct hookcli_args A;
	struct pk_args P;
	memset(&A, 0, sizeof(A));
	memset(&P, 0, sizeof(P));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, mode);
			return CLI_EXIT_OK;
		}
		int r = hookcli_option(cmd, argc, argv, &i, &A);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r)
			continue;
		const char **slot = NULL;
		if (!strcmp(a, "--pcap"))
			slot = &P.pcap;
		else if (!strcmp(a, "--iface"))
			slot = &P.iface;
		else if (!strcmp(a, "--out"))
			slot = &P.out;
		else if (!strcmp(a, "--section"))
			slot = &P.section;
		else if (!strcmp(a, "--prog"))
			slot = &P.prog;
		if (slot || !strcmp(a, "--count") || !strcmp(a, "--timeout")) {
			if (i + 1 >= argc) {
				cli_err(cmd, "%s needs a value", a);
				return CLI_EXIT_USAGE;
			}
			const char *v = argv[++i];
			if (slot) {
				*slot = v;
				continue;
			}
			double d;
			if (parse_num(cmd, a, v, &d))
				return CLI_EXIT_USAGE;
			if (a[2] == 'c')
				P.count = (unsigned long long)d;
			else
				P.timeout = d;
		} else if (!strcmp(a, "--promisc")) {
			P.promisc = true;
		} else if (a[0] == '-' && a[1]) {
			cli_err(cmd, "unknown option '%s' (see bpfbox %s --help)", a, cmd);
			return CLI_EXIT_USAGE;
		} else if (!A.path) {
			A.path = a;
		} else {
			cli_err(cmd, "more than one program ('%s' and '%s')", A.path, a);
			return CLI_EXIT_USAGE;
		}
	}
	if (!A.path) {
		cli_err(cmd, "usage: bpfbox %s PROG (--pcap IN | --iface IF) [--out OUT] (see --help)",
			cmd);
		return CLI_EXIT_USAGE;
	}
	if (!P.pcap == !P.iface) {
		cli_err(cmd, "give one packet source: --pcap FILE or --iface IF");
		return CLI_EXIT_USAGE;
	}
	if (P.section && P.prog) {
		cli_err(cmd, "--section and --prog exclude each other");
		return CLI_EXIT_USAGE;
	}
	struct hookcli H;
	struct bpfbox_pktsrc *src = NULL;
	struct bpfbox_pktsink *sink = NULL;
	struct bpfbox_pktctx *ctx = NULL;
	int rc = hookcli_open(&H, cmd, &A);
	if (rc)
		goto out;
	rc = CLI_EXIT_USAGE;
	char err[1024] = "";
	struct bpfbox_obj_prog *op = pick(mode, H.obj, P.section, P.prog, err, sizeof(err));
	if (!op) {
		cli_err(cmd, "%s", err);
		goto out;
	}
	int type = bpfbox_obj_prog__type(op);
	if (!type_ok(mode, type)) {
		const char *tn = bpfbox_prog_type__name(type);
		cli_err(cmd, "prog '%s' is a %s program; bpfbox %s runs %s programs",
			bpfbox_obj_prog__name(op), tn ? tn : "raw", cmd,
			mode == PK_XDP ? "xdp" : mode == PK_FILTER ? "socket_filter" : "sched_cls");
		goto out;
	}
	int kind = mode == PK_XDP ? BPFBOX_PKT_XDP : BPFBOX_PKT_SKB;
	int e = hookcli_prepare(&H, &A, op, type, bpfbox_pktctx__ctx_size(kind));
	if (e) {
		rc = e;
		goto out;
	}
	char logbuf[1024] = "";
	struct bpfbox_log log = { .buf = logbuf, .size = sizeof(logbuf), .level = BPFBOX_LOG_ERROR };
	BPFBOX_OPTS(bpfbox_pktsrc_opts, so, .log = &log, .promisc = P.promisc);
	e = P.pcap ? bpfbox_pktsrc__open_file(&src, P.pcap, &so)
		   : bpfbox_pktsrc__open_iface(&src, P.iface, &so);
	if (e) {
		logbuf[strcspn(logbuf, "\n")] = 0;
		cli_err(cmd, "%s", logbuf[0] ? logbuf : strerror(-e));
		goto out;
	}
	int linktype = bpfbox_pktsrc__linktype(src);
	if (mode != PK_FILTER && linktype != 1) {
		cli_err(cmd, "%s: link type %d is not Ethernet (%s programs parse Ethernet frames)",
			P.pcap ? P.pcap : P.iface, linktype, cmd);
		goto out;
	}
	if (P.out && (e = bpfbox_pktsink__open(&sink, P.out, linktype, bpfbox_pktsrc__snaplen(src),
					       bpfbox_pktsrc__nsec(src)))) {
		cli_err(cmd, "%s: %s", P.out, strerror(-e));
		goto out;
	}
	BPFBOX_OPTS(bpfbox_pktctx_opts, co, .max_len = bpfbox_pktsrc__snaplen(src) > 65535
							? bpfbox_pktsrc__snaplen(src) : 65535);
	if ((e = bpfbox_pktctx__new(&ctx, kind, &co))) {
		cli_err(cmd, "cannot map a packet buffer below 4 GiB (needed for the 32-bit "
			     "data/data_end context fields): %s", strerror(-e));
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	g_stop = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long packets = 0, errors = 0, written = 0, invalid = 0, too_big = 0;
	unsigned long long counts[NCOUNT] = { 0 };
	bool reported = false;
	struct bpfbox_hook_env task = { .sz = sizeof(task) };
	bpfbox_hook_env__self(&task);
	task.trace_out = H.trace;
	BPFBOX_OPTS(bpfbox_run_opts, ro, .engine = H.engine, .insn_budget = A.budget);
	struct bpfbox_prog *prog = bpfbox_obj_prog__handle(op);
	rc = CLI_EXIT_OK;
	while (!g_stop && (!P.count || packets < P.count)) {
		if (P.timeout) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			double el = (double)(now.tv_sec - t0.tv_sec) +
				    (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
			if (el >= P.timeout)
				break;
		}
		struct bpfbox_pktrec rec;
		int r = bpfbox_pktsrc__next(src, &rec);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			cli_err(cmd, "reading packets: %s", strerror(-r));
			rc = CLI_EXIT_USAGE;
			break;
		}
		if (r == 0) {
			if (P.pcap)
				break; /* end of file */
			continue;  /* live: idle */
		}
		packets++;
		if (bpfbox_pktctx__set(ctx, &rec)) {
			too_big++;
			continue;
		}
		logbuf[0] = 0;
		log.len = 0;
		ro.log = &log;
		uint64_t r0 = 0;
		e = bpfbox_pktctx__run(ctx, prog, &ro, &task, &r0);
		hookcli_drain(&H);
		if (e) {
			errors++;
			if (!reported) {
				logbuf[strcspn(logbuf, "\n")] = 0;
				fflush(stdout);
				cli_err(cmd, "packet %llu: %s", packets,
					logbuf[0] ? logbuf : strerror(-e));
				reported = true;
			}
		}
		uint32_t dlen;
		const uint8_t *d = bpfbox_pktctx__data(ctx, &dlen);
		/* the wire length follows the program's change of the captured part */
		int64_t wire = (int64_t)rec.len + (int64_t)dlen - (int64_t)rec.caplen;
		uint32_t wlen = wire < (int64_t)dlen ? dlen : (uint32_t)wire;
		bool pass = false, send = false;
		uint32_t send_if = 0;
		if (mode == PK_XDP) {
			uint64_t act = e ? BPFBOX_XDP_ABORTED : r0;
			if (act > BPFBOX_XDP_REDIRECT) {
				invalid++;
				act = BPFBOX_XDP_ABORTED;
			}
			counts[act]++;
			pass = act == BPFBOX_XDP_PASS || act == BPFBOX_XDP_TX;
			if (act == BPFBOX_XDP_TX) {
				send = true;
			} else if (act == BPFBOX_XDP_REDIRECT) {
				send_if = bpfbox_pktctx__pkt(ctx)->ifindex;
				send = send_if != 0;
			}
		} else if (mode == PK_FILTER) {
			uint32_t keep = e ? 0 : (uint32_t)r0;
			if (!keep) {
				counts[2]++;
			} else {
				pass = true;
				if (keep < wlen) {
					counts[1]++;
					wlen = keep;
					if (dlen > keep)
						dlen = keep;
				} else {
					counts[0]++;
				}
			}
		} else {
			int32_t v = e ? BPFBOX_TC_ACT_SHOT : (int32_t)r0;
			if (v < -1 || v > 8) {
				invalid++;
				v = BPFBOX_TC_ACT_UNSPEC; /* the kernel treats unknown verdicts as unspec */
			}
			counts[v + 1]++;
			pass = v == BPFBOX_TC_ACT_OK || v == BPFBOX_TC_ACT_UNSPEC ||
			       v == BPFBOX_TC_ACT_PIPE || v == BPFBOX_TC_ACT_RECLASSIFY ||
			       v == BPFBOX_TC_ACT_REPEAT;
			if (v == BPFBOX_TC_ACT_REDIRECT) {
				send_if = bpfbox_pktctx__pkt(ctx)->ifindex;
				send = send_if != 0;
			}
		}
		if (pass && sink) {
			bpfbox_pktsink__write(sink, &rec, d, dlen, wlen);
			written++;
		}
		if (send && P.iface) {
			int se = bpfbox_pktsrc__send(src, send_if, d, dlen);
			if (se && A.verbose)
				fprintf(stderr, "bpfbox %s: sending packet %llu: %s\n", cmd, packets,
					strerror(-se));
		}
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	hookcli_drain(&H);
	if (sink) {
		e = bpfbox_pktsink__close(sink);
		sink = NULL;
		if (e) {
			cli_err(cmd, "%s: %s", P.out, strerror(-e));
			rc = CLI_EXIT_USAGE;
		}
	}
	const char *const *names = mode == PK_XDP ? xdp_names : mode == PK_FILTER ? filter_names
										 : tc_names;
	size_t nn = mode == PK_XDP ? 5 : mode == PK_FILTER ? 3 : 10;
	if (A.json) {
		printf("{\"packets\":%llu,\"verdicts\":{", packets);
		for (size_t i = 0; i < nn; i++)
			printf("%s\"%s\":%llu", i ? "," : "", names[i], counts[i]);
		printf("},\"errors\":%llu,\"invalid\":%llu,\"too_big\":%llu", errors, invalid,
		       too_big);
		if (P.out)
			printf(",\"written\":%llu", written);
		printf("}\n");
	} else {
		printf("packets %llu\n", packets);
		for (size_t i = 0; i < nn; i++)
			printf("%s %llu\n", names[i], counts[i]);
		if (errors)
			printf("errors %llu\n", errors);
		if (invalid)
			printf("invalid %llu\n", invalid);
		if (too_big)
			printf("too_big %llu\n", too_big);
		if (P.out)
			printf("written %llu\n", written);
	}
	if (A.dump_maps)
		hookcli_dump_maps(&H, A.json);
	if (errors && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_NO;
out:
	bpfbox_pktsink__close(sink);
	bpfbox_pktctx__free(ctx);
	bpfbox_pktsrc__close(src);
	hookcli_close(&H);
	return rc;
}

int cmd_xdp(int argc, char **argv)
{
	return run_packets(PK_XDP, argc, argv);
}

int cmd_filter(int argc, char **argv)
{
	return run_packets(PK_FILTER, argc, argv);
}

int cmd_tc(int argc, char **argv)
{
	return run_packets(PK_TC, argc, argv);
}
