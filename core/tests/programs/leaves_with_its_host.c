/* A sandbox's leader that leaves the moment its host is gone: it starts a
 * second process in its group, prints both pids, and exits as soon as its
 * parent changes, so that its new parent may reap it before the guardian
 * looks, while the rest of its group runs on. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	pid_t host = getppid();
	pid_t member = fork();
	if (member < 0)
		return 1;
	if (member == 0) {
		for (;;)
			pause();
	}
	printf("%d %d\n", getpid(), member);
	fflush(stdout);
	while (getppid() == host)
		usleep(1000);
	return 0;
}
