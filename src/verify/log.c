/* bpfbox — verify/log.c: what the verifier says.
 *
 * Two kinds of output.  The rejection: exactly one line at ERROR level,
 * "<insn>: <what is wrong, naming the register or slot, in words>", the
 * first ERROR line of the log, stable so tests match substrings (the
 * kernel's wording is kept where it exists, followed by an explanation).
 * The trace (log level INFO and up): each processed instruction as
 * "<insn>: (<opcode>) <text>" followed by the abstract state in the
 * kernel's notation — `R1=ctx() R2=scalar(umax=255,var_off=(0x0; 0xff))
 * R10=fp0 fp-8=mmmmmmmm` — plus the branches taken and states pruned, so a
 * user can follow the path that failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "verifier.h"
#include "util/util.h"

int vrf_reject(struct venv *env, int err, const char *fmt, ...)
{
	if (env->failed)
		return env->err;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	env->failed = true;
	env->err = err;
	env->err_insn = env->insn_idx;
	bpfbox_log__printf(env->log, BPFBOX_LOG_ERROR, "%u: %s", env->insn_idx, msg);
	return err;
}

void vrf_trace(struct venv *env, const char *fmt, ...)
{
	if (!env->verbose)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bpfbox_log__printf(env->log, BPFBOX_LOG_INFO, "%s", msg);
}

static const char *const tname[V__COUNT] = {
	[V_NOT_INIT] = "?", [V_SCALAR] = "scalar", [V_CTX] = "ctx", [V_MAP_PTR] = "map_ptr",
	[V_MAP_VALUE] = "map_value", [V_MAP_KEY] = "map_key", [V_STACK] = "fp",
	[V_PKT] = "pkt", [V_PKT_META] = "pkt_meta", [V_PKT_END] = "pkt_end", [V_MEM] = "mem",
	[V_FUNC] = "func", [V_BTF_ID] = "ptr_task_struct", [V_SOCK_COMMON] = "sock_common",
};

const char *vrf_type_name(const struct vreg *r)
{
	static const char *const nulls[V__COUNT] = {
		[V_MAP_VALUE] = "map_value_or_null", [V_MEM] = "mem_or_null",
		[V_MAP_PTR] = "map_ptr_or_null", [V_SOCK_COMMON] = "sock_common_or_null",
		[V_BTF_ID] = "ptr_or_null_task_struct",
	};
	if (r->type >= V__COUNT)
		return "?";
	if (r->flags & VF_NULL) {
		if (r->type == V_MEM && (r->flags & VF_RINGBUF))
			return "ringbuf_mem_or_null";
		if (nulls[r->type])
			return nulls[r->type];
	}
	if (r->type == V_MEM && (r->flags & VF_RINGBUF))
		return "ringbuf_mem";
	if (r->type == V_MEM && (r->flags & VF_RDONLY))
		return "rdonly_mem";
	return tname[r->type];
}

const char *vrf_map_name(const struct venv *env, uint32_t map)
{
	if (map >= env->nmaps)
		return "?";
	const char *n = env->maps[map].d.name;
	return n && n[0] ? n : "(unnamed)";
}

/* Scalar ranges, printing only what differs from "unknown". */
static int scalar_body(char *b, size_t n, const struct vreg *r)
{
	size_t k = 0;
#define ADD(...) do { int w_ = snprintf(b + k, k < n ? n - k : 0, __VA_ARGS__); if (w_ > 0) k += (size_t)w_; } while (0)
	bool first = true;
#define SEP() do { if (!first) ADD(","); first = false; } while (0)
	if (r->smin != INT64_MIN && r->smin != (int64_t)r->umin) { SEP(); ADD("smin=%lld", (long long)r->smin); }
	if (r->smax != INT64_MAX && r->smax != (int64_t)r->umax) { SEP(); ADD("smax=%lld", (long long)r->smax); }
	if (r->umin) { SEP(); ADD("umin=%llu", (unsigned long long)r->umin); }
	if (r->umax != UINT64_MAX) { SEP(); ADD("umax=%llu", (unsigned long long)r->umax); }
	if (r->s32min != INT32_MIN && r->s32min != (int32_t)r->u32min) { SEP(); ADD("smin32=%d", r->s32min); }
	if (r->s32max != INT32_MAX && r->s32max != (int32_t)r->u32max) { SEP(); ADD("smax32=%d", r->s32max); }
	if (r->u32min && (uint64_t)r->u32min != r->umin) { SEP(); ADD("umin32=%u", r->u32min); }
	if (r->u32max != UINT32_MAX && (uint64_t)r->u32max != r->umax) { SEP(); ADD("umax32=%u", r->u32max); }
	if (!tnum_is_unknown(r->var)) {
		char t[48];
		tnum_str(t, sizeof(t), r->var);
		SEP();
		ADD("var_off=%s", t);
	}
#undef SEP
	return (int)k;
}

int vrf_reg_str(char *b, size_t n, const struct vreg *r, const struct venv *env)
{
	size_t k = 0;
	if (r->type == V_SCALAR) {
		if (tnum_is_const(r->var)) {
			ADD("%lld", (long long)r->var.value);
		} else {
			ADD("scalar(");
			if (r->id)
				ADD("id=%u%s", r->id, 1 ? "," : "");
			k += (size_t)scalar_body(b + k, k < n ? n - k : 0, r);
			if (k && b[k - 1] == ',')
				k--;
			ADD(")");
		}
		return (int)k;
	}
	if (r->type == V_STACK && tnum_is_const(r->var)) {
		ADD("fp%d", r->off + (int32_t)r->var.value);
		return (int)k;
	}
	ADD("%s(", vrf_type_name(r));
	bool first = true;
#define FLD(...) do { if (!first) ADD(","); first = false; ADD(__VA_ARGS__); } while (0)
	if (r->id)
		FLD("id=%u", r->id);
	if (r->ref)
		FLD("ref_obj_id=%u", r->ref);
	if (r->type == V_STACK)
		FLD("frame=%u", r->frameno);
	if (r->off)
		FLD("off=%d", r->off);
	switch (r->type) {
	case V_MAP_PTR:
	case V_MAP_VALUE:
	case V_MAP_KEY:
		if (env && r->aux < env->nmaps)
			FLD("map=%s,ks=%u,vs=%u", vrf_map_name(env, r->aux), env->maps[r->aux].d.key_size,
			    env->maps[r->aux].d.value_size);
		break;
	case V_PKT:
	case V_PKT_META:
		FLD("r=%u", r->aux);
		break;
	case V_MEM:
		FLD("sz=%u", r->aux);
		break;
	case V_FUNC:
		FLD("subprog=%u", r->aux);
		break;
	default:
		break;
	}
	if (!tnum_is_const(r->var) || r->var.value) {
		char s[200];
		scalar_body(s, sizeof(s), r);
		if (s[0])
			FLD("%s", s);
	}
#undef FLD
	ADD(")");
	return (int)k;
}

static char slot_char(uint8_t k)
{
	switch (k) {
	case SK_MISC: return 'm';
	case SK_ZERO: return '0';
	case SK_SPILL: return 'r';
	default: return '?';
	}
}

void vrf_log_state(struct venv *env, const struct vstate *s, uint32_t insn)
{
	if (!env->verbose)
		return;
	char b[4096];
	size_t k = 0, n = sizeof(b);
	b[0] = 0;
	for (uint32_t fi = 0; fi < s->nframes; fi++) {
		const struct vframe *f = s->frames[fi];
		if (s->nframes > 1)
			ADD("%sframe%u:", fi ? " " : "", fi);
		for (int r = 0; r <= BPFBOX_MAX_REG; r++) {
			if (f->regs[r].type == V_NOT_INIT)
				continue;
			char rb[400];
			vrf_reg_str(rb, sizeof(rb), &f->regs[r], env);
			ADD(" R%d=%s", r, rb);
		}
		for (unsigned sl = 0; sl < f->nslots; sl++) {
			const struct vslot *st = &f->slots[sl];
			bool any = false;
			for (int i = 0; i < 8; i++)
				any |= st->kind[i] != SK_INVALID;
			if (!any)
				continue;
			if (st->kind[0] == SK_SPILL) {
				char rb[400];
				vrf_reg_str(rb, sizeof(rb), &st->spill, env);
				ADD(" fp-%u=%s", 8 * (sl + 1), rb);
				continue;
			}
			char c[9];
			for (int i = 0; i < 8; i++)
				c[7 - i] = slot_char(st->kind[i]); /* highest address first, like the kernel */
			c[8] = 0;
			ADD(" fp-%u=%s", 8 * (sl + 1), c);
		}
	}
	if (s->nrefs) {
		ADD(" refs=");
		for (uint32_t i = 0; i < s->nrefs; i++)
			ADD("%s%u", i ? "," : "", s->refs[i].id);
	}
	(void)insn;
	vrf_trace(env, "%s", b[0] == ' ' ? b + 1 : b);
}
#undef ADD

/* The instruction in the llvm/kernel syntax, composed from the row's shape
 * and operator token. */
int vrf_insn_str(char *b, size_t n, const struct venv *env, uint32_t idx)
{
	const struct isa_insn *in = &env->insn[idx];
	const struct isa_info *ri = &isa_info[in->op];
	char p = ri->flags & F_W ? 'w' : 'r';
	static const char *const sz[] = { "u32", "u16", "u8", "u64" };
	switch (ri->shape) {
	case S_ALU_K:
		return snprintf(b, n, "%c%u %s %d", p, in->dst, ri->optext, in->imm);
	case S_ALU_X:
		return snprintf(b, n, "%c%u %s %c%u", p, in->dst, ri->optext, p, in->src);
	case S_NEG:
		return snprintf(b, n, "%c%u = -%c%u", p, in->dst, p, in->dst);
	case S_END:
		return snprintf(b, n, "r%u = %s r%u", in->dst, ri->optext, in->dst);
	case S_MOVSX:
		return snprintf(b, n, "%c%u = (%s)%c%u", p, in->dst, ri->optext, p, in->src);
	case S_LDDW:
		if (in->src)
			return snprintf(b, n, "r%u = %s(%d) ll", in->dst, ri->optext, in->imm);
		return snprintf(b, n, "r%u = %#llx ll", in->dst, (unsigned long long)in->imm64);
	case S_LD_ABS:
		return snprintf(b, n, "r0 = *(%s *)skb[%d]", ri->optext, in->imm);
	case S_LD_IND:
		return snprintf(b, n, "r0 = *(%s *)skb[r%u + %d]", ri->optext, in->src, in->imm);
	case S_LDX:
		return snprintf(b, n, "r%u = *(%s *)(r%u %c %d)", in->dst, ri->optext, in->src,
				in->off < 0 ? '-' : '+', in->off < 0 ? -in->off : in->off);
	case S_ST:
		return snprintf(b, n, "*(%s *)(r%u %c %d) = %d", ri->optext, in->dst, in->off < 0 ? '-' : '+',
				in->off < 0 ? -in->off : in->off, in->imm);
	case S_STX:
		return snprintf(b, n, "*(%s *)(r%u %c %d) = r%u", ri->optext, in->dst, in->off < 0 ? '-' : '+',
				in->off < 0 ? -in->off : in->off, in->src);
	case S_ATOMIC:
		return snprintf(b, n, "lock *(%s *)(r%u %c %d) %s %c%u", sz[ISA_SIZE(ri->code) >> 3], in->dst,
				in->off < 0 ? '-' : '+', in->off < 0 ? -in->off : in->off, ri->optext,
				ri->flags & F_W ? 'w' : 'r', in->src);
	case S_JA:
		return snprintf(b, n, "goto %+d", in->off);
	case S_JA32:
		return snprintf(b, n, "gotol %+d", in->imm);
	case S_JCOND_K:
		return snprintf(b, n, "if %c%u %s %d goto %+d", p, in->dst, ri->optext, in->imm, in->off);
	case S_JCOND_X:
		return snprintf(b, n, "if %c%u %s %c%u goto %+d", p, in->dst, ri->optext, p, in->src, in->off);
	case S_CALL: {
		const char *nm = vrf_helper_name((uint32_t)in->imm);
		if (nm)
			return snprintf(b, n, "call bpf_%s#%d", nm, in->imm);
		return snprintf(b, n, "call %d", in->imm);
	}
	case S_CALL_LOCAL:
		return snprintf(b, n, "call pc%+d", in->imm);
	case S_CALL_KFUNC:
		return snprintf(b, n, "call kfunc %d", in->imm);
	case S_CALLX:
		return snprintf(b, n, "callx r%u", in->dst);
	case S_EXIT:
		return snprintf(b, n, "exit");
	default:
		return snprintf(b, n, "?");
	}
}

const char *vrf_prog_type_name(int type)
{
	static const char *const names[BPFBOX_PROG_TYPE__COUNT] = {
		"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
		"perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
		"sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr",
		"lwt_seg6local", "lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl",
		"raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm",
		"sk_lookup", "syscall", "netfilter",
	};
	if (type < 0 || type >= BPFBOX_PROG_TYPE__COUNT)
		return "?";
	return names[type];
}
