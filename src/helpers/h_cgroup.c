/* bpfbox — helpers/h_cgroup.c: the current task and cgroup arrays.
 *
 * bpf_current_task_under_cgroup(map, idx) asks whether the current task
 * belongs to the cgroup (v2) user space put at index idx of a cgroup array,
 * or to one of its descendants — what execsnoop, syscount and other tools
 * use for --cgroup filtering.  In the kernel the slot holds a cgroup; here
 * it holds what user space wrote (a cgroup directory fd, as it would pass to
 * BPF_MAP_UPDATE_ELEM), so the answer is a path comparison:
 *
 *   the task's cgroup   /proc/PID/cgroup, line "0::/a/b" -> /sys/fs/cgroup/a/b
 *   the slot's cgroup   readlink(/proc/self/fd/FD)       -> /sys/fs/cgroup/a
 *   under               equal, or the task's path continues with "/"
 *
 * Errors as the kernel's: -E2BIG for an index past max_entries, -EAGAIN
 * for an empty slot (0: bpfbox never treats stdin as a cgroup), -EINVAL for
 * a map that is not a cgroup array.
 *
 * Limits: cgroup v2 mounted at /sys/fs/cgroup; the task is the hook's (the
 * traced one) or, without a hook, this process.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "hlp.h"

uint64_t hlp_current_task_under_cgroup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				       uint64_t r5, struct bpfbox_exec *ex)
{
	struct bpfbox_map *m = hlp_map(ex, r1, "current_task_under_cgroup");
	if (!m)
		return (uint64_t)-EFAULT;
	if (bpfbox_map__type(m) != BPFBOX_MAP_TYPE_CGROUP_ARRAY)
		return (uint64_t)-EINVAL;
	uint32_t idx = (uint32_t)r2;
	if (idx >= bpfbox_map__max_entries(m))
		return (uint64_t)-E2BIG;
	uint32_t fd = 0;
	if (bpfbox_map__lookup(m, &idx, &fd) || !fd)
		return (uint64_t)-EAGAIN;
	char link[64], cg[4096], mine[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%u", fd);
	ssize_t n = readlink(link, cg, sizeof(cg) - 1);
	if (n <= 0)
		return (uint64_t)-EAGAIN;
	cg[n] = 0;
	struct bpfbox_hook_env tmp;
	const struct bpfbox_hook_env *t = hlp_task(ex, &tmp);
	if (util_task_cgroup_dir(t->pid, mine, sizeof(mine)))
		return 0;
	size_t k = strlen(cg);
	return !strncmp(mine, cg, k) && (mine[k] == 0 || mine[k] == '/');
}
