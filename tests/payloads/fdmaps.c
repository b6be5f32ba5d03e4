/* fdmaps.c: maps one file read-only 200 times, then prints the descriptors open and dup give (the payload's lowest free numbers, as natively). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAPS 200

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/proc/self/exe";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    printf("file: %d\n", fd);
    /* Each a mapping of its own (read-only file pages, with a page left between them). */
    char *area = mmap(NULL, 2 * MAPS * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) {
        perror("mmap area");
        return 1;
    }
    for (int i = 0; i < MAPS; i++) {
        if (mmap(area + 2 * i * 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
    }
    int second = open(path, O_RDONLY | O_CLOEXEC), copy = dup(fd), low = fcntl(fd, F_DUPFD, 0);
    printf("after %d mappings: open %d, dup %d, F_DUPFD %d\n", MAPS, second, copy, low);
    close(copy);
    close(second);
    close(fd);
    int again = open(path, O_RDONLY | O_CLOEXEC);
    printf("the file closed, its mappings kept: open %d\n", again);
    printf("mapped bytes match: %s\n", area[0] == area[2 * (MAPS - 1) * 4096] ? "yes" : "no");
    munmap(area, 2 * MAPS * 4096);
    int last = open(path, O_RDONLY | O_CLOEXEC);
    printf("after munmap: open %d\n", last);
    return 0;
}
