/* bpfbox — tests/hooks/threads.c: four threads each read FILE and print
 * it, then the process exits 5 (tests/suites/trace.sh: threads are traced
 * and the exit code is passed on). */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static const char *path;

static void *worker(void *arg)
{
	char b[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0 && write(1, b, (size_t)n) < 0)
		return arg;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];
	path = argc > 1 ? argv[1] : "/etc/hostname";
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 5;
}
