/* Sends one byte over a socket pair with sendmsg and prints what arrived. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    char out = 'x', in = 0;
    struct iovec iov = {&out, 1};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (sendmsg(sv[0], &msg, 0) != 1 || read(sv[1], &in, 1) != 1) {
        perror("sendmsg");
        return 1;
    }
    printf("received %c\n", in);
    return 0;
}
