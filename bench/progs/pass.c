/* The empty program (XDP_PASS): what a run costs on each engine before the
 * program does anything — the call, the context, the engine's entry and
 * exit.  Reported below the table, not part of its geometric means. */
#include "bench.h"
SEC("xdp")
int pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
