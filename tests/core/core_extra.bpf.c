// SPDX-License-Identifier: GPL-2.0
/* core_extra.bpf.c — what tests/unit/test_core.c checks besides the
 * relocation kinds of examples/core_structs.bpf.c: a poisoned instruction
 * that is reached, __kconfig externs of every kind, a typeless __ksym, a
 * kernel function call (poisoned: bpfbox has none), and `const volatile`
 * configuration set before load.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___nope {
	int bpfbox_missing;
} __attribute__((preserve_access_index));

extern int LINUX_KERNEL_VERSION __kconfig;
extern int LINUX_HAS_SYSCALL_WRAPPER __kconfig __weak;
extern int LINUX_BPFBOX_UNKNOWN __kconfig __weak;
extern _Bool CONFIG_BPFBOX_BOOL __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPFBOX_TRI __kconfig __weak;
extern unsigned short CONFIG_BPFBOX_INT __kconfig __weak;
extern char CONFIG_BPFBOX_STR[8] __kconfig __weak;
extern int CONFIG_BPFBOX_UNSET __kconfig __weak;
extern const void bpfbox_test_ksym __ksym;
extern int bpf_bpfbox_kfunc(int x) __ksym __weak;

enum bpfbox_mode { MODE_OFF = 0, MODE_FAST = 3, MODE_SLOW = 9 };

const volatile int targ_pid = 7;
const volatile _Bool verbose = 0;
const volatile char label[8] = "abc";
const volatile enum bpfbox_mode mode = MODE_OFF;
const volatile unsigned short weights[4] = { 1, 2 };
const volatile signed char tiny = -1;
int hits; /* .bss */

/* reached: the VM stops at the poisoned load, naming the relocation */
SEC("syscall") int poisoned(struct task_struct___nope *t) { return t->bpfbox_missing + 1; }

SEC("syscall") int kversion(void *c) { return LINUX_KERNEL_VERSION; }
SEC("syscall") int kwrapper(void *c) { return LINUX_HAS_SYSCALL_WRAPPER; }
SEC("syscall") int kunknown(void *c) { return LINUX_BPFBOX_UNKNOWN; }
SEC("syscall") int kbool(void *c) { return CONFIG_BPFBOX_BOOL; }
SEC("syscall") int ktri(void *c) { return CONFIG_BPFBOX_TRI; }
SEC("syscall") int kint(void *c) { return CONFIG_BPFBOX_INT; }
SEC("syscall") int kstr(void *c) { return CONFIG_BPFBOX_STR[0] + CONFIG_BPFBOX_STR[1] * 256; }
SEC("syscall") int kunset(void *c) { return CONFIG_BPFBOX_UNSET; }
SEC("syscall") int ksym(void *c) { return (long)&bpfbox_test_ksym & 0xffffffff; }
SEC("syscall") int kfunc(void *c) { return bpf_bpfbox_kfunc(3); }

SEC("syscall") int config(void *c)
{
	hits++;
	return targ_pid + (verbose ? 100 : 0) + label[1] * 1000 + mode * 1000000 +
	       weights[3] * 10000000 + tiny;
}

char LICENSE[] SEC("license") = "GPL";
