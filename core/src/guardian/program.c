/*
 * The guardian: a process beside the host that kills the host's sandboxes
 * once the host is gone (killed, crashed, or exited without waiting).
 *
 * It is started from a memfd the library writes (core/src/guardian/mod.rs
 * has the protocol), so it depends on nothing installed: no libc, only
 * raw syscalls. argv[1] names its end of a SOCK_SEQPACKET pair. Each
 * spawned child sends, before it execs, one message: its pid as data and
 * a pidfd of itself as SCM_RIGHTS. End of file on the socket means every
 * copy of the host's end is closed: the host and every child it was
 * starting are gone. The guardian then kills the process group of every
 * sandbox whose leader is still unreaped, and exits.
 *
 * A pidfd that no longer signals (ESRCH) is a leader the host reaped: its
 * run is over and its group was killed by the run, and its number may be
 * someone else's now, so it is forgotten, never signalled.
 */

#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/signal.h>
#include <linux/socket.h>
#include <linux/uio.h>

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

/* The kernel's struct msghdr and struct cmsghdr (linux/socket.h names
 * only the generic parts). */
struct message_header {
	void *name;
	int name_len;
	struct iovec *iov;
	unsigned long iov_len;
	void *control;
	unsigned long control_len;
	unsigned int flags;
};

struct control_header {
	unsigned long len;
	int level;
	int type;
};

#define SOL_SOCKET_LEVEL 1
#define SCM_RIGHTS_TYPE 1
#define MSG_CMSG_CLOEXEC_FLAG 0x40000000

/* One entry per watched sandbox: the leader's pid, which names its group,
 * and a pidfd that says whether that pid is still the leader's. */
struct watched {
	int pid;
	int pidfd;
};

#define CAPACITY (1 << 16)
static struct watched watched[CAPACITY];
static unsigned long count;
static unsigned long cursor;

static int still_held(int pidfd)
{
	/* Signal 0 only checks; a zombie leader still holds its pid. */
	return sys(__NR_pidfd_send_signal, pidfd, 0, 0, 0) != -ESRCH;
}

/* Look at up to `checks` entries, round robin, and forget those whose
 * leader was reaped: entries of ended runs go at the pace runs start. */
static void forget_reaped(unsigned long checks)
{
	while (checks-- > 0 && count > 0) {
		if (cursor >= count)
			cursor = 0;
		if (still_held(watched[cursor].pidfd)) {
			cursor++;
			continue;
		}
		sys(__NR_close, watched[cursor].pidfd, 0, 0, 0);
		count--;
		watched[cursor] = watched[count];
	}
}

static void watch(int pid, int pidfd)
{
	forget_reaped(2);
	if (count == CAPACITY)
		forget_reaped(CAPACITY);
	if (count == CAPACITY) {
		sys(__NR_close, pidfd, 0, 0, 0);
		return;
	}
	watched[count].pid = pid;
	watched[count].pidfd = pidfd;
	count++;
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
	struct rlimit files;

	/* Its own session: a signal to the host's group or terminal does not
	 * reach it, and it holds no directory of the host's busy. */
	sys(__NR_setsid, 0, 0, 0, 0);
	sys(__NR_chdir, "/", 0, 0, 0);
	sys(__NR_prctl, PR_SET_NAME, "sandlock-guard", 0, 0);
	sys(__NR_rt_sigprocmask, SIG_SETMASK, &all_signals, 0, sizeof all_signals);
	/* One pidfd per running sandbox. */
	if (sys6(__NR_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&files, 0, 0) == 0) {
		files.rlim_cur = files.rlim_max;
		sys6(__NR_prlimit64, 0, RLIMIT_NOFILE, (long)&files, 0, 0, 0);
	}
}

/* Wait for messages until the host's end is closed everywhere. */
static void serve(int socket)
{
	for (;;) {
		int pid = 0;
		unsigned long control[4];
		struct iovec data;
		struct message_header message;
		struct control_header *header = (struct control_header *)control;
		long got;

		data.iov_base = &pid;
		data.iov_len = sizeof pid;
		message.name = 0;
		message.name_len = 0;
		message.iov = &data;
		message.iov_len = 1;
		message.control = control;
		message.control_len = sizeof control;
		message.flags = 0;
		header->len = 0;
		got = sys(__NR_recvmsg, socket, &message, MSG_CMSG_CLOEXEC_FLAG, 0);
		if (got == -EINTR)
			continue;
		if (got <= 0)
			return;
		if (message.control_len < sizeof *header + sizeof(int) || header->level != SOL_SOCKET_LEVEL ||
		    header->type != SCM_RIGHTS_TYPE)
			continue;
		int pidfd = *(int *)(header + 1);
		if (got != sizeof pid || pid <= 0) {
			sys(__NR_close, pidfd, 0, 0, 0);
			continue;
		}
		watch(pid, pidfd);
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
	 * no wait of the host's counts it. A fork refused: guard as its child. */
	long forked = sys(__NR_clone, SIGCHLD, 0, 0, 0);
	if (forked > 0)
		sys(__NR_exit_group, 0, 0, 0, 0);
	set_up();
	serve(socket);
	for (unsigned long i = 0; i < count; i++) {
		if (still_held(watched[i].pidfd)) {
			sys(__NR_kill, -watched[i].pid, SIGKILL, 0, 0);
			sys(__NR_pidfd_send_signal, watched[i].pidfd, SIGKILL, 0, 0);
		}
	}
	sys(__NR_exit_group, 0, 0, 0, 0);
}
