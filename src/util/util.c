/* bpfbox — util.c: options check, allocator hook, caller-supplied log.
 * See util.h for why each exists. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "util.h"

bool util_opts_valid(const void *opts, size_t known)
{
	if (!opts)
		return true;
	size_t sz = *(const size_t *)opts;
	if (sz < sizeof(size_t))
		return false;
	const uint8_t *b = opts;
	for (size_t i = known; i < sz; i++)
		if (b[i])
			return false;
	return true;
}

void *util_default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	(void)osize;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, nsize);
}

void util_alloc_init(struct util_alloc *a, bpfbox_alloc_fn fn, void *ud)
{
	a->fn = fn ? fn : util_default_alloc;
	a->ud = ud;
}

void *util_malloc(const struct util_alloc *a, size_t n)
{
	return a->fn(a->ud, NULL, 0, n ? n : 1);
}

void *util_calloc(const struct util_alloc *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	size_t bytes = n * size;
	void *p = util_malloc(a, bytes);
	if (p)
		memset(p, 0, bytes ? bytes : 1);
	return p;
}

void *util_realloc(const struct util_alloc *a, void *p, size_t osize, size_t nsize)
{
	return a->fn(a->ud, p, osize, nsize ? nsize : 1);
}

void util_free(const struct util_alloc *a, void *p, size_t size)
{
	if (p)
		a->fn(a->ud, p, size, 0);
}

void util_vlog(struct bpfbox_log *log, int level, const char *fmt, va_list ap)
{
	if (!log || level > log->level)
		return;
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (log->fn)
		log->fn(log->ud, level, line);
	if (log->buf && log->size) {
		size_t room = log->len < log->size ? log->size - log->len : 0;
		if (room > 1) {
			int w = snprintf(log->buf + log->len, room, "%s\n", line);
			(void)w;
		}
	}
	log->len += (size_t)n + 1;
}

BPFBOX_API void bpfbox_log__printf(struct bpfbox_log *log, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	util_vlog(log, level, fmt, ap);
	va_end(ap);
}

/* ---- small system files ------------------------------------------------ */

long util_read_small(const char *path, char *buf, size_t size)
{
	if (!size)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = 0;
	return (long)n;
}

int util_task_cgroup_dir(uint32_t pid, char *out, size_t size)
{
	char path[64], buf[1024];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	if (util_read_small(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	char *p = strstr(buf, "0::");
	if (!p)
		return -ENOENT;
	p += 3;
	p[strcspn(p, "\n")] = 0;
	if (!strcmp(p, "/"))
		p = "";
	int n = snprintf(out, size, "/sys/fs/cgroup%s", p);
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

uint64_t util_task_cgroup_id(uint32_t pid)
{
	char dir[1100];
	struct stat st;
	if (util_task_cgroup_dir(pid, dir, sizeof(dir)) || stat(dir, &st))
		return 0;
	return (uint64_t)st.st_ino;
}
