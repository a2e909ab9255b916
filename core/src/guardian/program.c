/*
 * The guardian: a process beside the host that kills the host's sandboxes
 * once the host is gone (killed, crashed, or exited without waiting).
 *
 * It is started from a memfd the library writes (core/src/guardian/mod.rs
 * has the protocol), so it depends on nothing installed: no libc, only
 * raw syscalls. argv[1] names its end of a SOCK_SEQPACKET pair, on which
 * each message is two 32-bit words, an operation and a pid:
 *
 * - WATCH, sent by each spawned child before it execs: its pid, which
 *   names its process group;
 * - FORGET, sent by the host once that run is over (its group killed, its
 *   leader about to be reaped): from then on the number may be someone
 *   else's.
 *
 * End of file means every copy of the host's end is closed: the host and
 * every child it was starting are gone. The guardian then kills every
 * group still watched — whatever became of its leader, which may have
 * exited the moment its parent changed and been reaped by init, while the
 * rest of its group runs on and holds the group's number — and exits.
 */

#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/prctl.h>
#include <linux/signal.h>

#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "\txor %ebp, %ebp\n"
        "\tmov %rsp, %rdi\n"
        "\tand $-16, %rsp\n"
        "\tcall guardian_main\n"
        "\thlt\n");

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "\tmov x29, #0\n"
        "\tmov x30, #0\n"
        "\tmov x0, sp\n"
        "\tbl guardian_main\n"
        "\tbrk #0\n");

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "the guardian knows the syscall convention of x86_64 and aarch64 only"
#endif

#define sys(n, a, b, c, d) sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

enum operation { WATCH = 1, FORGET = 2 };

/* One bit per pid: pid_max is at most 2^22. */
#define PIDS (1UL << 22)
/* The first process's exit status when its fork was refused (mod.rs's
 * FORK_REFUSED). */
#define FORK_REFUSED 3
#define WORD_BITS (8 * sizeof(unsigned long))
static unsigned long watched[PIDS / WORD_BITS];

static void set_watched(unsigned long pid, int on)
{
	unsigned long bit = 1UL << (pid % WORD_BITS);
	if (on)
		watched[pid / WORD_BITS] |= bit;
	else
		watched[pid / WORD_BITS] &= ~bit;
}

static int parse_fd(const char *text)
{
	int fd = 0;
	if (!text || !*text)
		return -1;
	for (; *text; text++) {
		if (*text < '0' || *text > '9' || fd > 100000000)
			return -1;
		fd = fd * 10 + (*text - '0');
	}
	return fd;
}

static void set_up(void)
{
	unsigned long all_signals = ~0UL;

	/* Its own session: a signal to the host's group or terminal does not
	 * reach it, and it holds no directory of the host's busy. */
	sys(__NR_setsid, 0, 0, 0, 0);
	sys(__NR_chdir, "/", 0, 0, 0);
	sys(__NR_prctl, PR_SET_NAME, "sandlock-guard", 0, 0);
	sys(__NR_rt_sigprocmask, SIG_SETMASK, &all_signals, 0, sizeof all_signals);
}

/* Apply messages until the host's end is closed everywhere. */
static void serve(int socket)
{
	for (;;) {
		unsigned int message[2] = { 0, 0 };
		long got = sys(__NR_recvfrom, socket, message, sizeof message, 0);
		if (got == -EINTR)
			continue;
		if (got <= 0)
			return;
		if (got != sizeof message || message[1] == 0 || message[1] >= PIDS)
			continue;
		if (message[0] == WATCH || message[0] == FORGET)
			set_watched(message[1], message[0] == WATCH);
	}
}

static void kill_watched(void)
{
	for (unsigned long word = 0; word < PIDS / WORD_BITS; word++) {
		for (unsigned long left = watched[word]; left; left &= left - 1) {
			unsigned long pid = word * WORD_BITS + (unsigned long)__builtin_ctzl(left);
			sys(__NR_kill, -(long)pid, SIGKILL, 0, 0);
		}
	}
}

void guardian_main(long *stack)
{
	char **argv = (char **)(stack + 1);
	int socket = stack[0] >= 2 ? parse_fd(argv[1]) : -1;

	if (socket < 0)
		sys(__NR_exit_group, 2, 0, 0, 0);
	/* Leave the host's children: the host reaps this first process, and
	 * the guardian, orphaned, goes to init (or the host's subreaper), so
	 * no wait of the host's counts it. A fork refused (the host at its
	 * task limit) is said with the exit status: the host waits for this
	 * process, and would wait for good on one that served. */
	long forked = sys(__NR_clone, SIGCHLD, 0, 0, 0);
	if (forked < 0)
		sys(__NR_exit_group, FORK_REFUSED, 0, 0, 0);
	if (forked > 0)
		sys(__NR_exit_group, 0, 0, 0, 0);
	set_up();
	serve(socket);
	kill_watched();
	sys(__NR_exit_group, 0, 0, 0, 0);
}
